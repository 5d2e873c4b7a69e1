/*
 * The district desk: a web page for district officers, served by the
 * district server under /desk/ on the sync endpoint's own port (http.c
 * routes here; `/` redirects here).  Vietnamese by default, English on
 * request (cookie xa_lang); its CSS and script are built into the program
 * (server/desk/, embed.cmake).
 *
 *   GET  /desk/login, POST /desk/login      name and password → session cookie
 *   POST /desk/logout
 *   GET  /desk/lang?to=vi|en                the language, as a cookie
 *   GET  /desk/                             completeness: communes × form × period
 *   GET  /desk/report?scope=&id=            a commune's report: print view, findings,
 *                                           conflicts, history, accept / return
 *   GET  /desk/print?scope=&id=             the print view itself (framed)
 *   GET  /desk/report.docx?scope=&id=       that report as a Word file
 *   POST /desk/decide                       accept, or return with a reason
 *   POST /desk/deadline                     the deadline of a form and period (admin)
 *   POST /desk/resolve                      an admin's value for a field in conflict
 *   GET  /desk/rollup?form=&period=         the district's table, by commune
 *   GET  /desk/rollup.csv|.xlsx|.docx       downloads
 *   GET  /desk/conflicts                    fields left in conflict, both values
 *
 * Invariants:
 *   1. every page but login, the language switch and the assets needs a
 *      session (a cookie the desk issued; a commune's or the district's sync
 *      token is no session: it is never looked at here);
 *   2. every POST carries the session's CSRF token (login: the token of the
 *      login cookie) and comes from this site (Origin, Sec-Fetch-Site); one
 *      that does not changes nothing;
 *   3. every text from the database or the request goes through html()
 *      (or url()) before it is written into a page;
 *   4. a form value that is empty where a value is needed, over its limit,
 *      not UTF-8, or holding control characters is refused before anything
 *      is written.
 */
#include "desk.h"

#include "district.h"
#include "store_int.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/view.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

extern const unsigned char xa_desk_css[], xa_desk_js[];
extern const size_t xa_desk_css_len, xa_desk_js_len;

/* ---- text ---------------------------------------------------------------- */

typedef struct sb {
    char *p;
    size_t n, cap;
    int oom;
} sb;

/* Not inlined: GCC 12 then warns of sizes it imagines (-Wstringop-overflow). */
__attribute__((noinline)) static void sb_add(sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sb *b, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_add(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Text into HTML (element content and quoted attributes alike). */
static void html(sb *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            sb_puts(b, "&amp;");
            break;
        case '<':
            sb_puts(b, "&lt;");
            break;
        case '>':
            sb_puts(b, "&gt;");
            break;
        case '"':
            sb_puts(b, "&quot;");
            break;
        case '\'':
            sb_puts(b, "&#39;");
            break;
        default:
            sb_add(b, p, 1);
        }
    }
}

/* Text into a URL's query (then into HTML: nothing to escape left). */
static void url(sb *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            sb_add(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sb_add(b, e, 3);
        }
    }
}

static void fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%d/%m/%Y %H:%M", &tm) == 0)
        snprintf(buf, cap, "—");
}

static void fmt_day(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%d/%m/%Y", &tm) == 0)
        snprintf(buf, cap, "—");
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the request --------------------------------------------------------- */

#define MAX_FORM 16

typedef struct ctx {
    xa_store *st;
    const xa_desk_req *q;
    xa_desk_resp *r;
    void (*wlock)(void *);
    void (*wunlock)(void *);
    void *lk;
    int en; /* English */
    xa_desk_user u;
    char csrf[65];
    /* the posted form, decoded */
    size_t nf;
    char *fk[MAX_FORM], *fv[MAX_FORM];
    int form_bad; /* not UTF-8, a NUL, too many fields */
} ctx;

#define L(c, vi, en_) ((c)->en ? (en_) : (vi))

static const char *arg(const ctx *c, const char *key)
{
    for (const char *const *a = c->q->args; a && a[0] && a[1]; a += 2)
        if (strcmp(a[0], key) == 0)
            return a[1];
    return NULL;
}

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

static char *form_decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    size_t k = 0;

    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = '\0';
    /* a NUL inside, or bytes that are not UTF-8: the whole form is refused */
    if (strlen(o) != k || !xa_utf8_valid(o, k)) {
        free(o);
        return NULL;
    }
    return o;
}

static void form_parse(ctx *c)
{
    const char *s = c->q->body, *end = s ? s + c->q->bodylen : NULL;

    if (s == NULL)
        return;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s)), *stop = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(stop - s));
        if (stop > s) {
            if (c->nf >= MAX_FORM) {
                c->form_bad = 1;
                return;
            }
            char *k = form_decode(s, (size_t)((eq ? eq : stop) - s));
            char *v = eq ? form_decode(eq + 1, (size_t)(stop - eq - 1)) : strdup("");
            if (k == NULL || v == NULL) {
                free(k);
                free(v);
                c->form_bad = 1;
                return;
            }
            c->fk[c->nf] = k;
            c->fv[c->nf++] = v;
        }
        s = stop + 1;
    }
}

static const char *field(const ctx *c, const char *key)
{
    for (size_t i = 0; i < c->nf; i++)
        if (strcmp(c->fk[i], key) == 0)
            return c->fv[i];
    return NULL;
}

/* A posted text: present, non-empty when `need`, at most `max` bytes, and
 * no control characters but (with `lines`) line breaks and tabs. */
static int text_ok(const char *v, size_t max, int need, int lines)
{
    size_t n = v ? strlen(v) : 0;

    if (v == NULL)
        return !need;
    if ((need && n == 0) || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && !(lines && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
            return 0;
    }
    return 1;
}

/* ---- answers ------------------------------------------------------------- */

static void add_header(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_header(ctx *c, const char *fmt, ...)
{
    size_t n = strlen(c->r->headers);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->r->headers + n, sizeof(c->r->headers) - n, fmt, ap);
    va_end(ap);
}

static void security_headers(ctx *c)
{
    add_header(c, "Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; script-src 'self'; form-action 'self'; "
                  "frame-ancestors 'self'; base-uri 'none'\n");
    add_header(c, "X-Content-Type-Options: nosniff\n");
    add_header(c, "X-Frame-Options: SAMEORIGIN\n");
    add_header(c, "Referrer-Policy: same-origin\n");
    add_header(c, "Cache-Control: no-store\n");
}

static void respond(ctx *c, unsigned status, const char *ctype, sb *b)
{
    c->r->status = status;
    c->r->ctype = ctype;
    c->r->body = b->oom ? NULL : b->p;
    c->r->len = b->oom ? 0 : b->n;
    if (b->oom) {
        free(b->p);
        c->r->status = 500;
        c->r->ctype = "text/plain; charset=utf-8";
        c->r->body = strdup("out of memory");
        c->r->len = c->r->body ? strlen(c->r->body) : 0;
    }
}

static void redirect(ctx *c, const char *to)
{
    sb b = {0};

    add_header(c, "Location: %s\n", to);
    sb_puts(&b, "<!doctype html><a href=\"");
    html(&b, to);
    sb_puts(&b, "\">→</a>\n");
    respond(c, 303, "text/html; charset=utf-8", &b);
}

static void page_head(ctx *c, sb *b, const char *title, const char *nav)
{
    sb_printf(b,
              "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
              "<title>",
              c->en ? "en" : "vi");
    html(b, title);
    sb_puts(b, " — ");
    sb_puts(b, L(c, "Bàn làm việc của huyện", "District desk"));
    sb_puts(b, "</title><link rel=\"stylesheet\" href=\"/desk/desk.css\">"
               "<script src=\"/desk/desk.js\" defer></script></head><body>\n");
    sb_puts(b, "<header class=\"top\"><span class=\"brand\">");
    sb_puts(b, L(c, "Bàn làm việc của huyện", "District desk"));
    sb_puts(b, "</span>");
    if (c->u.name[0]) {
        static const char *const items[][3] = {
            {"completeness", "Tình hình nộp báo cáo", "Completeness"},
            {"rollup", "Tổng hợp", "Rollup"},
            {"conflicts", "Xung đột", "Conflicts"},
        };
        sb_puts(b, "<nav>");
        for (size_t i = 0; i < 3; i++) {
            sb_printf(b, "<a href=\"/desk/%s\"%s>%s</a>",
                      strcmp(items[i][0], "completeness") == 0 ? "" : items[i][0],
                      nav && strcmp(nav, items[i][0]) == 0 ? " class=\"on\"" : "",
                      c->en ? items[i][2] : items[i][1]);
        }
        sb_puts(b, "</nav><span class=\"who\">");
        html(b, c->u.name);
        sb_printf(b, " (%s)</span>",
                  strcmp(c->u.role, "admin") == 0 ? L(c, "quản trị", "admin")
                                                  : L(c, "cán bộ", "officer"));
        sb_puts(b, "<form method=\"post\" action=\"/desk/logout\"><input type=\"hidden\" "
                   "name=\"csrf\" value=\"");
        html(b, c->csrf);
        sb_printf(b, "\"><button class=\"plain\" id=\"logout\">%s</button></form>",
                  L(c, "Đăng xuất", "Log out"));
    }
    sb_printf(b, "<a href=\"/desk/lang?to=%s\" id=\"lang\">%s</a></header>\n<main>\n",
              c->en ? "vi" : "en", c->en ? "Tiếng Việt" : "English");
}

static void page_tail(sb *b)
{
    sb_puts(b, "</main></body></html>\n");
}

static void error_page(ctx *c, unsigned status, const char *vi, const char *en)
{
    sb b = {0};

    page_head(c, &b, L(c, "Lỗi", "Error"), NULL);
    sb_puts(&b, "<h1>");
    sb_puts(&b, L(c, "Không làm được", "Cannot do that"));
    sb_puts(&b, "</h1><p class=\"msg err\" id=\"error\">");
    html(&b, c->en ? en : vi);
    sb_puts(&b, "</p><p><a href=\"/desk/\">");
    sb_puts(&b, L(c, "Về trang chính", "Back to the desk"));
    sb_puts(&b, "</a></p>");
    page_tail(&b);
    respond(c, status, "text/html; charset=utf-8", &b);
}

/* ---- login --------------------------------------------------------------- */

static void cookie(ctx *c, const char *name, const char *value, int max_age, int http_only)
{
    add_header(c, "Set-Cookie: %s=%s; Path=/desk; SameSite=Strict; Max-Age=%d%s%s\n", name, value,
               max_age, http_only ? "; HttpOnly" : "", c->q->tls ? "; Secure" : "");
}

static void
login_page(ctx *c, unsigned status, const char *msg_vi, const char *msg_en, const char *name)
{
    char tok[65];
    uint8_t h[XA_TOKEN_HASH];
    sb b = {0};

    /* The login form's own CSRF token: a cookie and the same value in the
     * form (a site elsewhere can post a form, never read or set this
     * cookie). */
    if (c->q->login_cookie && strlen(c->q->login_cookie) == 43 &&
        strspn(c->q->login_cookie,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43) {
        snprintf(tok, sizeof(tok), "%s", c->q->login_cookie);
    } else if (xa_token_new(tok, h) < 0) {
        error_page(c, 500, "không tạo được mã", "cannot make a token");
        return;
    }
    cookie(c, "xa_login", tok, 3600, 1);
    page_head(c, &b, L(c, "Đăng nhập", "Log in"), NULL);
    sb_puts(&b, "<form class=\"login\" method=\"post\" action=\"/desk/login\"><h1>");
    sb_puts(&b, L(c, "Đăng nhập", "Log in"));
    sb_puts(&b, "</h1>");
    if (msg_vi) {
        sb_puts(&b, "<p class=\"msg err\" id=\"error\">");
        html(&b, c->en ? msg_en : msg_vi);
        sb_puts(&b, "</p>");
    }
    sb_printf(&b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", tok);
    sb_printf(&b,
              "<label for=\"name\">%s</label><input type=\"text\" id=\"name\" name=\"name\" "
              "autocomplete=\"username\" maxlength=\"%d\" required value=\"",
              L(c, "Tên người dùng", "User name"), XA_DESK_NAME_MAX);
    html(&b, name);
    sb_printf(&b,
              "\"><label for=\"password\">%s</label><input type=\"password\" id=\"password\" "
              "name=\"password\" autocomplete=\"current-password\" required>"
              "<button id=\"login\">%s</button></form>",
              L(c, "Mật khẩu", "Password"), L(c, "Đăng nhập", "Log in"));
    page_tail(&b);
    respond(c, status, "text/html; charset=utf-8", &b);
}

/* A POST from this site?  Sec-Fetch-Site (browsers send it) must not say
 * another site, and Origin, when sent, must be this server. */
static int same_site(const ctx *c)
{
    const char *site = c->q->fetch_site, *origin = c->q->origin, *host = c->q->host;
    char want[300];

    if (site && site[0] && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return 0;
    if (origin && origin[0]) {
        if (host == NULL || host[0] == '\0')
            return 0;
        snprintf(want, sizeof(want), "%s://%s", c->q->tls ? "https" : "http", host);
        if (strcmp(origin, want) != 0)
            return 0;
    }
    return 1;
}

static void do_login(ctx *c)
{
    const char *name = field(c, "name"), *pw = field(c, "password"), *tok = field(c, "csrf");
    char token[65], csrf[65];
    int retry = 0, rc;

    if (!same_site(c) || c->q->login_cookie == NULL || !xa_desk_csrf_ok(c->q->login_cookie, tok)) {
        login_page(c, 403, "Trang đăng nhập đã cũ hoặc không phải của máy chủ này; hãy thử lại.",
                   "The login form is stale or not this server's; try again.", "");
        return;
    }
    if (c->form_bad || !text_ok(name, XA_DESK_NAME_MAX, 1, 0) ||
        !text_ok(pw, XA_DESK_PW_MAX, 1, 0) || xa_desk_name_check(name) < 0) {
        login_page(c, 400, "Tên người dùng hoặc mật khẩu không hợp lệ.",
                   "That user name or password is not valid.", "");
        return;
    }
    rc = xa_desk_login(c->st, name, pw, strlen(pw), c->q->addr, now_ms(), token, csrf, &retry,
                       c->wlock, c->wunlock, c->lk);
    if (rc == XA_EBUSY) {
        char vi[160], en[160];
        add_header(c, "Retry-After: %d\n", retry);
        snprintf(vi, sizeof(vi), "Quá nhiều lần đăng nhập sai; thử lại sau %d phút.",
                 (retry + 59) / 60);
        snprintf(en, sizeof(en), "Too many failed logins; try again in %d minutes.",
                 (retry + 59) / 60);
        login_page(c, 429, vi, en, name);
        return;
    }
    if (rc == XA_EAUTH) {
        login_page(c, 401, "Sai tên người dùng hoặc mật khẩu.", "Wrong user name or password.",
                   name);
        return;
    }
    if (rc < 0) {
        error_page(c, 500, xa_error_last(), xa_error_last());
        return;
    }
    cookie(c, "xa_desk", token, XA_DESK_SESSION_S, 1);
    cookie(c, "xa_login", "", 0, 1);
    redirect(c, "/desk/");
}

/* ---- what the communes sent: one scan of every report header ------------ */

typedef struct hdrpick {
    char scope[XA_SCOPE_MAX + 1];
    char period[32];
    char id[XA_ENTITY_MAX + 1];
    char status[16]; /* none | draft | sent | accepted | returned */
    int64_t sent_at;
} hdrpick;

typedef struct headers {
    hdrpick *v;
    size_t n, cap;
    char periods[64][32];
    size_t np;
} headers;

static hdrpick *pick_of(headers *h, const char *scope, const char *period)
{
    for (size_t i = h->n; i-- > 0;)
        if (strcmp(h->v[i].scope, scope) == 0 && strcmp(h->v[i].period, period) == 0)
            return &h->v[i];
    return NULL;
}

typedef struct ent {
    char scope[XA_SCOPE_MAX + 1], entity[XA_ENTITY_MAX + 1];
    char *form, *period, *title, *sent_at, *state;
} ent;

static void ent_clear(ent *e)
{
    free(e->form);
    free(e->period);
    free(e->title);
    free(e->sent_at);
    free(e->state);
    memset(e, 0, sizeof(*e));
}

/* The rule of the rollup (report/rollup.c, choose()): the latest sent
 * report of a commune for the form and period, else a draft. */
static int ent_done(headers *h, ent *e, const char *form)
{
    int rc = 0;

    if (e->form && e->period && e->title && strcmp(e->form, form) == 0 &&
        strlen(e->period) < sizeof(h->periods[0])) {
        int64_t t = e->sent_at && e->sent_at[0] ? strtoll(e->sent_at, NULL, 10) : -1;
        hdrpick *p = pick_of(h, e->scope, e->period);
        size_t k;
        for (k = 0; k < h->np; k++)
            if (strcmp(h->periods[k], e->period) == 0)
                break;
        if (k == h->np && h->np < 64)
            snprintf(h->periods[h->np++], sizeof(h->periods[0]), "%s", e->period);
        if (p == NULL) {
            if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 64;
                hdrpick *v = realloc(h->v, cap * sizeof(*v));
                if (v == NULL) {
                    rc = xa_error_set(XA_ENOMEM, "out of memory");
                    goto out;
                }
                h->v = v;
                h->cap = cap;
            }
            p = &h->v[h->n++];
            memset(p, 0, sizeof(*p));
            snprintf(p->scope, sizeof(p->scope), "%s", e->scope);
            snprintf(p->period, sizeof(p->period), "%s", e->period);
            snprintf(p->status, sizeof(p->status), "none");
            p->sent_at = -1;
        }
        if (t >= 0 && (t > p->sent_at || (t == p->sent_at && strcmp(e->entity, p->id) > 0))) {
            p->sent_at = t;
            snprintf(p->id, sizeof(p->id), "%s", e->entity);
            snprintf(p->status, sizeof(p->status), "%s",
                     e->state && e->state[0] ? e->state : "sent");
        } else if (t < 0 && p->sent_at < 0 && (p->id[0] == '\0' || strcmp(e->entity, p->id) < 0)) {
            snprintf(p->id, sizeof(p->id), "%s", e->entity);
            snprintf(p->status, sizeof(p->status), "draft");
        }
    }
out:
    ent_clear(e);
    return rc;
}

static char *jdecode(const char *json)
{
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    char *out = strdup(cJSON_IsString(j) ? j->valuestring : json ? json : "");

    cJSON_Delete(j);
    return out;
}

static int scan_headers(xa_store *st, const char *form, headers *h)
{
    sqlite3_stmt *s = NULL;
    ent e;
    int rc, step;

    memset(h, 0, sizeof(*h));
    memset(&e, 0, sizeof(e));
    rc = sqlite3_prepare_v2(
        st->db,
        "SELECT s.scope, s.entity, s.field, j.value FROM sibling s"
        " JOIN journal j ON j.scope = s.scope AND j.node = s.node AND j.seq = s.seq"
        " WHERE s.field IN ('form', 'period', 'title', 'sent_at', 'state')"
        " AND instr(s.entity, '/') = 0 AND s.scope <> ?1"
        " ORDER BY s.scope, s.entity, s.field, j.hlc",
        -1, &s, NULL);
    if (rc != SQLITE_OK)
        return xa_db_error(st, rc, "reading the reports");
    sqlite3_bind_text(s, 1, XA_FORMS_SCOPE, -1, SQLITE_STATIC);
    rc = 0;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *scope = (const char *)sqlite3_column_text(s, 0);
        const char *entity = (const char *)sqlite3_column_text(s, 1);
        const char *fld = (const char *)sqlite3_column_text(s, 2);
        const char *val = (const char *)sqlite3_column_text(s, 3);
        if (strcmp(scope, e.scope) != 0 || strcmp(entity, e.entity) != 0) {
            rc = ent_done(h, &e, form);
            snprintf(e.scope, sizeof(e.scope), "%s", scope);
            snprintf(e.entity, sizeof(e.entity), "%s", entity);
        }
        /* a field in conflict: the last by hlc is the front value */
        char **slot = strcmp(fld, "form") == 0     ? &e.form
                      : strcmp(fld, "period") == 0 ? &e.period
                      : strcmp(fld, "title") == 0  ? &e.title
                      : strcmp(fld, "state") == 0  ? &e.state
                                                   : &e.sent_at;
        free(*slot);
        *slot = jdecode(val);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading the reports");
    if (rc == 0)
        rc = ent_done(h, &e, form);
    ent_clear(&e);
    sqlite3_finalize(s);
    if (rc < 0)
        free(h->v);
    return rc;
}

/* ---- findings, remembered while the commune's data stays the same ------- */

typedef struct fcache {
    char scope[XA_SCOPE_MAX + 1], id[XA_ENTITY_MAX + 1];
    uint64_t ops;
    int errors, warnings;
} fcache;

static pthread_mutex_t fc_lock = PTHREAD_MUTEX_INITIALIZER;
static fcache *fc;
static size_t nfc, capfc;

static int findings(xa_store *st, const char *scope, const char *id, xa_finding **out, size_t *n)
{
    xa_report r;
    xa_form form;
    int rc = xa_report_load(st, scope, id, &r);

    *out = NULL;
    *n = 0;
    if (rc < 0)
        return rc;
    rc = xa_report_check(&r, out, n);
    if (rc == 0 && xa_report_form(st, scope, id, &form) == 0) {
        rc = xa_bind_findings(&r, &form, out, n);
        xa_form_free(&form);
    }
    xa_report_free(&r);
    return rc;
}

/* Counts of a report's check findings (errors, warnings); -1 when it cannot
 * be read.  Kept while the commune holds the same ops. */
static void
finding_counts(xa_store *st, const char *scope, const char *id, uint64_t ops, int *err, int *warn)
{
    xa_finding *f = NULL;
    size_t n = 0;

    pthread_mutex_lock(&fc_lock);
    for (size_t i = 0; i < nfc; i++)
        if (fc[i].ops == ops && strcmp(fc[i].scope, scope) == 0 && strcmp(fc[i].id, id) == 0) {
            *err = fc[i].errors;
            *warn = fc[i].warnings;
            pthread_mutex_unlock(&fc_lock);
            return;
        }
    pthread_mutex_unlock(&fc_lock);
    *err = *warn = 0;
    if (findings(st, scope, id, &f, &n) < 0) {
        *err = *warn = -1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].severity, "error") == 0)
            (*err)++;
        else
            (*warn)++;
    }
    xa_findings_free(f, n);
    pthread_mutex_lock(&fc_lock);
    size_t slot = nfc;
    for (size_t i = 0; i < nfc; i++)
        if (strcmp(fc[i].scope, scope) == 0 && strcmp(fc[i].id, id) == 0)
            slot = i;
    if (slot == nfc && nfc == capfc && nfc < 100000) {
        size_t cap = capfc ? capfc * 2 : 256;
        fcache *v = realloc(fc, cap * sizeof(*v));
        if (v) {
            fc = v;
            capfc = cap;
        }
    }
    if (slot < capfc) {
        snprintf(fc[slot].scope, sizeof(fc[slot].scope), "%s", scope);
        snprintf(fc[slot].id, sizeof(fc[slot].id), "%s", id);
        fc[slot].ops = ops;
        fc[slot].errors = *err;
        fc[slot].warnings = *warn;
        if (slot == nfc)
            nfc++;
    }
    pthread_mutex_unlock(&fc_lock);
}

/* ---- completeness --------------------------------------------------------- */

static const char *status_label(const ctx *c, const char *status, int late)
{
    if (strcmp(status, "draft") == 0)
        return L(c, "Đang soạn (đang đồng bộ)", "Draft (syncing)");
    if (strcmp(status, "sent") == 0)
        return late > 0    ? L(c, "Đã gửi, muộn hạn", "Sent late")
               : late == 0 ? L(c, "Đã gửi đúng hạn", "Sent on time")
                           : L(c, "Đã gửi", "Sent");
    if (strcmp(status, "accepted") == 0)
        return L(c, "Đã tiếp nhận", "Accepted");
    if (strcmp(status, "returned") == 0)
        return L(c, "Đã trả lại", "Returned");
    return L(c, "Chưa bắt đầu", "Not started");
}

typedef struct row {
    const xa_commune *cm;
    const hdrpick *p;
    const char *status;
    int late, err, warn;
} row;

static int status_rank(const char *s)
{
    return strcmp(s, "none") == 0       ? 0
           : strcmp(s, "draft") == 0    ? 1
           : strcmp(s, "returned") == 0 ? 2
           : strcmp(s, "sent") == 0     ? 3
                                        : 4;
}

static __thread const char *sort_key; /* qsort has no context argument */

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int d = 0;

    if (strcmp(sort_key, "status") == 0)
        d = status_rank(x->status) - status_rank(y->status);
    else if (strcmp(sort_key, "sync") == 0)
        d = x->cm->last_sync < y->cm->last_sync ? 1 : x->cm->last_sync > y->cm->last_sync ? -1 : 0;
    else if (strcmp(sort_key, "conflicts") == 0)
        d = x->cm->conflicts < y->cm->conflicts ? 1 : x->cm->conflicts > y->cm->conflicts ? -1 : 0;
    return d ? d : strcmp(x->cm->name, y->cm->name);
}

/* The form to show: ?form=, else the last of the district's forms. */
static int current_form(ctx *c, char *id, size_t cap, char ***ids, size_t *nids)
{
    const char *want = arg(c, "form");
    int rc = xa_form_list(c->st, XA_FORMS_SCOPE, ids, nids);

    id[0] = '\0';
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *nids; i++)
        if (want && strcmp((*ids)[i], want) == 0)
            snprintf(id, cap, "%s", want);
    if (id[0] == '\0' && *nids)
        snprintf(id, cap, "%s", (*ids)[*nids - 1]);
    return 0;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static int period_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Every period known for the form: reports seen and deadlines set. */
static void known_periods(ctx *c, const char *form, headers *h)
{
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(c->st->db, "SELECT period FROM desk_deadline WHERE form = ?1", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, form, -1, SQLITE_STATIC);
        while (sqlite3_step(s) == SQLITE_ROW && h->np < 64) {
            const char *p = (const char *)sqlite3_column_text(s, 0);
            size_t k;
            for (k = 0; k < h->np; k++)
                if (strcmp(h->periods[k], p) == 0)
                    break;
            if (k == h->np && strlen(p) < sizeof(h->periods[0]))
                snprintf(h->periods[h->np++], sizeof(h->periods[0]), "%s", p);
        }
    }
    sqlite3_finalize(s);
    qsort(h->periods, h->np, sizeof(h->periods[0]), period_cmp);
}

static void form_select(ctx *c, sb *b, char **ids, size_t nids, const char *form)
{
    sb_printf(b, "<label>%s<select name=\"form\" data-autosubmit>", L(c, "Biểu mẫu", "Form"));
    for (size_t i = 0; i < nids; i++) {
        sb_puts(b, "<option value=\"");
        html(b, ids[i]);
        sb_printf(b, "\"%s>", strcmp(ids[i], form) == 0 ? " selected" : "");
        html(b, ids[i]);
        sb_puts(b, "</option>");
    }
    sb_puts(b, "</select></label>");
}

static void period_select(ctx *c, sb *b, const headers *h, const char *period)
{
    sb_printf(b, "<label>%s<select name=\"period\" data-autosubmit>", L(c, "Kỳ", "Period"));
    for (size_t i = h->np; i-- > 0;) {
        sb_puts(b, "<option value=\"");
        html(b, h->periods[i]);
        sb_printf(b, "\"%s>", strcmp(h->periods[i], period) == 0 ? " selected" : "");
        html(b, h->periods[i]);
        sb_puts(b, "</option>");
    }
    sb_puts(b, "</select></label>");
}

static void page_completeness(ctx *c)
{
    char form[XA_ENTITY_MAX + 1], period[32] = "", **ids = NULL, when[48];
    size_t nids = 0, nc = 0;
    xa_commune *cm = NULL;
    headers h;
    row *rows = NULL;
    int64_t due = 0;
    sb b = {0};
    int rc = current_form(c, form, sizeof(form), &ids, &nids);
    const char *filter = arg(c, "status"), *want = arg(c, "period");

    memset(&h, 0, sizeof(h));
    page_head(c, &b, L(c, "Tình hình nộp báo cáo", "Completeness"), "completeness");
    sb_printf(&b, "<h1>%s</h1>", L(c, "Tình hình nộp báo cáo", "Completeness"));
    if (rc == 0 && form[0] == '\0') {
        sb_printf(&b, "<p class=\"msg\">%s</p>",
                  L(c, "Huyện chưa có biểu mẫu nào (xasync-district form add).",
                    "The district has no form yet (xasync-district form add)."));
        goto done;
    }
    if (rc == 0)
        rc = scan_headers(c->st, form, &h);
    if (rc == 0)
        rc = xa_district_communes(c->st, &cm, &nc);
    if (rc < 0)
        goto done;
    known_periods(c, form, &h);
    for (size_t i = 0; want && i < h.np; i++)
        if (strcmp(h.periods[i], want) == 0)
            snprintf(period, sizeof(period), "%s", want);
    if (period[0] == '\0' && h.np)
        snprintf(period, sizeof(period), "%s", h.periods[h.np - 1]);
    /* the filters */
    sb_puts(&b, "<form class=\"filters\" method=\"get\" action=\"/desk/\">");
    form_select(c, &b, ids, nids, form);
    period_select(c, &b, &h, period);
    sb_printf(&b, "<label>%s<select name=\"status\" data-autosubmit><option value=\"\">%s</option>",
              L(c, "Tình trạng", "Status"), L(c, "Tất cả", "All"));
    static const char *const sts[] = {"none", "draft", "sent", "late", "accepted", "returned"};
    for (size_t i = 0; i < 6; i++)
        sb_printf(&b, "<option value=\"%s\"%s>%s</option>", sts[i],
                  filter && strcmp(filter, sts[i]) == 0 ? " selected" : "",
                  strcmp(sts[i], "late") == 0 ? status_label(c, "sent", 1)
                                              : status_label(c, sts[i], 0));
    sb_puts(&b, "</select></label>");
    sort_key = arg(c, "sort");
    sb_printf(&b, "<label>%s<select name=\"sort\" data-autosubmit>", L(c, "Xếp theo", "Sort by"));
    static const char *const sorts[][3] = {{"name", "Tên xã", "Commune"},
                                           {"status", "Tình trạng", "Status"},
                                           {"sync", "Lần đồng bộ cuối", "Last sync"},
                                           {"conflicts", "Xung đột", "Conflicts"}};
    for (size_t i = 0; i < 4; i++)
        sb_printf(&b, "<option value=\"%s\"%s>%s</option>", sorts[i][0],
                  sort_key && strcmp(sort_key, sorts[i][0]) == 0 ? " selected" : "",
                  c->en ? sorts[i][2] : sorts[i][1]);
    sb_printf(&b, "</select></label><button>%s</button></form>", L(c, "Xem", "Show"));
    if (period[0] == '\0') {
        sb_printf(&b, "<p class=\"msg\">%s</p>",
                  L(c, "Chưa có kỳ báo cáo nào cho biểu mẫu này: đặt hạn nộp bên dưới.",
                    "No period yet for this form: set a deadline below."));
    } else {
        xa_desk_deadline_get(c->st, form, period, &due);
        /* the rows, and the rate */
        rows = calloc(nc ? nc : 1, sizeof(*rows));
        size_t nr = 0, reported = 0, on_time = 0;
        for (size_t i = 0; rows && i < nc; i++) {
            row *r = &rows[nr];
            r->cm = &cm[i];
            r->p = pick_of(&h, cm[i].scope, period);
            r->status = r->p ? r->p->status : "none";
            r->late = r->p && r->p->sent_at >= 0 && due && r->p->sent_at > due;
            r->err = r->warn = 0;
            if (strcmp(r->status, "sent") == 0 || strcmp(r->status, "accepted") == 0) {
                reported++;
                on_time += !r->late;
            }
            const char *st = strcmp(r->status, "sent") == 0 && r->late ? "late" : r->status;
            if (filter && filter[0] && strcmp(filter, st) != 0)
                continue;
            if (r->p && r->p->id[0])
                finding_counts(c->st, cm[i].scope, r->p->id, cm[i].ops, &r->err, &r->warn);
            nr++;
        }
        if (sort_key == NULL)
            sort_key = "name";
        qsort(rows, nr, sizeof(*rows), row_cmp);
        fmt_day(due, when, sizeof(when));
        sb_printf(&b,
                  "<p><span class=\"rate\" id=\"rate\">%zu / %zu</span> %s "
                  "(%.0f%%); %s %zu / %zu (%.0f%%). %s: <b id=\"due\">%s</b></p>",
                  reported, nc, L(c, "xã đã gửi báo cáo", "communes have reported"),
                  nc ? 100.0 * (double)reported / (double)nc : 0.0, L(c, "đúng hạn", "on time"),
                  on_time, nc, nc ? 100.0 * (double)on_time / (double)nc : 0.0,
                  L(c, "Hạn nộp", "Deadline"), due ? when : L(c, "chưa đặt", "not set"));
        /* the chart over periods: reporting rate, the last eight */
        size_t first = h.np > 8 ? h.np - 8 : 0, np = h.np - first;
        sb_printf(&b,
                  "<svg id=\"chart\" width=\"%zu\" height=\"150\" role=\"img\" aria-label=\"%s\">",
                  60 + np * 90, L(c, "Tỷ lệ báo cáo theo kỳ", "Reporting rate by period"));
        sb_puts(&b, "<line x1=\"40\" y1=\"110\" x2=\"2000\" y2=\"110\" stroke=\"#999\"/>"
                    "<text x=\"0\" y=\"14\">100%</text><text x=\"10\" y=\"112\">0%</text>");
        for (size_t k = first; k < h.np; k++) {
            size_t got = 0;
            for (size_t i = 0; i < nc; i++) {
                const hdrpick *p = pick_of(&h, cm[i].scope, h.periods[k]);
                got += p && (strcmp(p->status, "sent") == 0 || strcmp(p->status, "accepted") == 0);
            }
            double pct = nc ? 100.0 * (double)got / (double)nc : 0;
            int hgt = (int)(pct + 0.5);
            size_t x = 50 + (k - first) * 90;
            sb_printf(&b,
                      "<rect class=\"bar%s\" x=\"%zu\" y=\"%d\" width=\"50\" height=\"%d\">"
                      "<title>",
                      strcmp(h.periods[k], period) == 0 ? " now" : "", x, 110 - hgt, hgt);
            html(&b, h.periods[k]);
            sb_printf(&b,
                      ": %zu / %zu</title></rect><text x=\"%zu\" y=\"%d\">%.0f%%</text>"
                      "<text x=\"%zu\" y=\"128\">",
                      got, nc, x + 8, 104 - hgt, pct, x);
            html(&b, h.periods[k]);
            sb_puts(&b, "</text>");
        }
        sb_puts(&b, "</svg>");
        /* the table */
        sb_printf(&b,
                  "<table id=\"completeness\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                  "<th class=\"num\">%s</th><th class=\"num\">%s</th></tr>",
                  L(c, "Xã", "Commune"), L(c, "Tình trạng", "Status"), L(c, "Gửi lúc", "Sent at"),
                  L(c, "Đồng bộ lần cuối", "Last sync"), L(c, "Xung đột", "Conflicts"),
                  L(c, "Điểm cần xem lại", "Check findings"));
        for (size_t i = 0; i < nr; i++) {
            const row *r = &rows[i];
            const char *st = strcmp(r->status, "sent") == 0 && r->late ? "late" : r->status;
            sb_puts(&b, "<tr data-scope=\"");
            html(&b, r->cm->scope);
            sb_printf(&b, "\" data-status=\"%s\"><td>", st);
            if (r->p && r->p->id[0]) {
                sb_puts(&b, "<a href=\"/desk/report?scope=");
                url(&b, r->cm->scope);
                sb_puts(&b, "&amp;id=");
                url(&b, r->p->id);
                sb_puts(&b, "\">");
                html(&b, r->cm->name);
                sb_puts(&b, "</a>");
            } else {
                html(&b, r->cm->name);
            }
            sb_printf(&b, "</td><td><span class=\"badge s-%s\">%s</span></td><td>", st,
                      status_label(c, r->status, r->late));
            fmt_time(r->p && r->p->sent_at > 0 ? r->p->sent_at : 0, when, sizeof(when));
            sb_puts(&b, when);
            fmt_time(r->cm->last_sync, when, sizeof(when));
            sb_printf(&b, "</td><td>%s</td><td class=\"num\">",
                      r->cm->last_sync ? when : L(c, "chưa bao giờ", "never"));
            if (r->cm->conflicts) {
                sb_puts(&b, "<a href=\"/desk/conflicts?scope=");
                url(&b, r->cm->scope);
                sb_printf(&b, "\">%llu</a>", (unsigned long long)r->cm->conflicts);
            } else {
                sb_puts(&b, "0");
            }
            if (r->err < 0)
                sb_puts(&b, "</td><td class=\"num\">?</td></tr>");
            else if (r->p && r->p->id[0])
                sb_printf(&b, "</td><td class=\"num\">%d %s, %d %s</td></tr>", r->err,
                          L(c, "lỗi", "errors"), r->warn, L(c, "cảnh báo", "warnings"));
            else
                sb_puts(&b, "</td><td class=\"num\">—</td></tr>");
        }
        sb_puts(&b, "</table>");
        sb_puts(&b, "<p class=\"downloads\"><a href=\"/desk/rollup?form=");
        url(&b, form);
        sb_puts(&b, "&amp;period=");
        url(&b, period);
        sb_printf(&b, "\">%s</a></p>",
                  L(c, "Xem bảng tổng hợp của kỳ này", "This period's rollup"));
    }
    /* the deadline (admin) */
    if (strcmp(c->u.role, "admin") == 0) {
        sb_printf(&b,
                  "<h2>%s</h2><form method=\"post\" action=\"/desk/deadline\" class=\"filters\" "
                  "id=\"deadline-form\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                  "<input type=\"hidden\" name=\"form\" value=\"",
                  L(c, "Hạn nộp", "Deadline"), c->csrf);
        html(&b, form);
        sb_printf(&b, "\"><label>%s<input type=\"text\" name=\"period\" maxlength=\"31\" value=\"",
                  L(c, "Kỳ (vd. 2024-h1)", "Period (e.g. 2024-h1)"));
        html(&b, period);
        sb_printf(&b,
                  "\"></label><label>%s<input type=\"date\" name=\"due\"></label>"
                  "<button>%s</button></form>",
                  L(c, "Hạn (hết ngày)", "Due (end of day)"), L(c, "Đặt hạn", "Set deadline"));
    }
done:
    if (rc < 0) {
        sb_puts(&b, "<p class=\"msg err\">");
        html(&b, xa_error_last());
        sb_puts(&b, "</p>");
    }
    page_tail(&b);
    free(rows);
    free(cm);
    free(h.v);
    free_ids(ids, nids);
    respond(c, rc < 0 ? 500 : 200, "text/html; charset=utf-8", &b);
}

/* ---- a commune's report --------------------------------------------------- */

/* scope and id from the query (or the form), checked against the database. */
static int report_args(ctx *c, const char *scope, const char *id, xa_commune *cm)
{
    if (scope == NULL || id == NULL || !text_ok(scope, XA_SCOPE_MAX, 1, 0) ||
        !text_ok(id, XA_ENTITY_MAX, 1, 0) || xa_check_scope(scope) < 0 ||
        strcmp(scope, XA_FORMS_SCOPE) == 0)
        return XA_EINVAL;
    return xa_district_commune_get(c->st, scope, cm);
}

static void page_print(ctx *c)
{
    const char *scope = arg(c, "scope"), *id = arg(c, "id");
    xa_commune cm;
    xa_report r;
    char *out = NULL;
    sb b = {0};

    if (report_args(c, scope, id, &cm) < 0 || xa_report_load(c->st, scope, id, &r) < 0) {
        error_page(c, 404, "Không có báo cáo này.", "No such report.");
        return;
    }
    int rc = xa_report_render(&r, XA_REPORT_HTML, &out);
    if (rc < 0) {
        xa_report_free(&r);
        error_page(c, 500, xa_error_last(), xa_error_last());
        return;
    }
    /* The check findings marked in the print view (its conflicts it marks
     * itself): a cell "ind/TT/COLUMN", a row "ind/TT", a block "b/ID#N". */
    sb marks = {0};
    xa_finding *f = NULL;
    size_t nf = 0;
    if (findings(c->st, scope, id, &f, &nf) == 0) {
        static const char *const cols[] = {"tt",  "name",    "unit",    "prev",   "plan",
                                           "est", "vs_prev", "vs_plan", "remain", "note"};
        sb_puts(&marks, "<style>\n");
        for (size_t i = 0; i < nf; i++) {
            const char *w = f[i].where ? f[i].where : "";
            const char *color = strcmp(f[i].severity, "error") == 0 ? "#b3261e" : "#b35c00";
            char tt[64] = "", col[32] = "", bid[128] = "";
            const char *block = NULL;
            int k = -1;
            if (sscanf(w, "ind/%63[^/]/%31s", tt, col) >= 1) {
                for (size_t j = 0; j < r.n && block == NULL; j++)
                    if (!r.b[j].deleted && strcmp(r.b[j].kind, "row") == 0 && r.b[j].tt &&
                        strcmp(r.b[j].tt, tt) == 0)
                        block = r.b[j].id;
                for (int j = 0; j < 10 && col[0]; j++)
                    if (strcmp(cols[j], col) == 0)
                        k = j;
            } else if (sscanf(w, "b/%127[^#]", bid) == 1) {
                block = bid;
            }
            if (block == NULL ||
                strspn(block, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789-_.") != strlen(block))
                continue;
            if (k >= 0)
                sb_printf(&marks, "[data-block=\"%s\"] > td:nth-child(%d)", block, k + 1);
            else
                sb_printf(&marks, "[data-block=\"%s\"]", block);
            sb_printf(&marks, " { outline: 2px solid %s; outline-offset: -2px; }\n", color);
        }
        sb_puts(&marks, "</style>\n");
        xa_findings_free(f, nf);
    }
    xa_report_free(&r);
    char *head = strstr(out, "</head>");
    if (head && !marks.oom && marks.p) {
        sb_add(&b, out, (size_t)(head - out));
        sb_puts(&b, marks.p);
        sb_puts(&b, head);
        free(out);
    } else {
        b.p = out;
        b.n = b.cap = strlen(out);
    }
    free(marks.p);
    respond(c, 200, "text/html; charset=utf-8", &b);
}

/* A commune's report as a Word file: the district's copy, printed by the
 * report library's .docx writer (as `xasync report export --format docx`). */
static void download_report(ctx *c)
{
    const char *scope = arg(c, "scope"), *id = arg(c, "id");
    unsigned char *out = NULL;
    char name[200];
    size_t n = 0, k = 0;
    xa_commune cm;
    xa_report r;
    sb b = {0};

    if (report_args(c, scope, id, &cm) < 0 || xa_report_load(c->st, scope, id, &r) < 0) {
        error_page(c, 404, "Không có báo cáo này.", "No such report.");
        return;
    }
    int rc = xa_report_docx(&r, &out, &n);
    xa_report_free(&r);
    if (rc < 0) {
        error_page(c, 500, xa_error_last(), xa_error_last());
        return;
    }
    snprintf(name, sizeof(name), "bao-cao-%s-%s.docx", scope, id);
    for (char *p = name; *p; p++) /* only safe characters in a header */
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_')
            name[k++] = *p;
    name[k] = '\0';
    add_header(c, "Content-Disposition: attachment; filename=\"%s\"\n", name);
    b.p = (char *)out;
    b.n = b.cap = n;
    respond(c, 200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", &b);
}

/* A field in words an officer reads: a row's number, its name and the
 * column ("Chỉ tiêu 4. Tổng sản lượng … — Ước thực hiện"), a heading's or
 * paragraph's kind; then the field's own name, smaller.  `r` is the report
 * the entity belongs to, when it could be loaded (else NULL). */
static void field_label(ctx *c, sb *b, const xa_report *r, const char *entity, const char *fld)
{
    static const char *const cols[][3] = {{"prev", "KQ cùng kỳ", "Same period last year"},
                                          {"plan", "Kế hoạch năm", "Year's plan"},
                                          {"est", "Ước thực hiện", "Estimate"},
                                          {"name", "Tên chỉ tiêu", "Name"},
                                          {"unit", "Đơn vị tính", "Unit"},
                                          {"note", "Ghi chú", "Note"},
                                          {"text", "Nội dung", "Text"}};
    const char *bs = strstr(entity, "/b/");
    const xa_block *blk = NULL;

    for (size_t i = 0; r && bs && i < r->n && blk == NULL; i++)
        if (strcmp(r->b[i].id, bs + 3) == 0 && strlen(r->id) == (size_t)(bs - entity) &&
            strncmp(r->id, entity, (size_t)(bs - entity)) == 0)
            blk = &r->b[i];
    if (blk) {
        const char *col = fld;
        for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
            if (strcmp(cols[k][0], fld) == 0)
                col = c->en ? cols[k][2] : cols[k][1];
        sb_puts(b, "<span class=\"label\">");
        if (strcmp(blk->kind, "row") == 0) {
            sb_printf(b, "%s ", L(c, "Chỉ tiêu", "Indicator"));
            html(b, blk->tt);
            sb_puts(b, ". ");
            html(b, blk->name);
        } else {
            html(b, strcmp(blk->kind, "heading") == 0 || strcmp(blk->kind, "part") == 0
                        ? L(c, "Đề mục", "Heading")
                        : L(c, "Đoạn văn", "Paragraph"));
            if (blk->num && blk->num[0]) {
                sb_puts(b, " ");
                html(b, blk->num);
            }
        }
        sb_puts(b, " — ");
        html(b, col);
        sb_puts(b, "</span><br>");
    }
    sb_puts(b, "<span class=\"muted tech\">");
    html(b, entity);
    sb_puts(b, " ");
    html(b, fld);
    sb_puts(b, "</span>");
}

/* The report an entity belongs to ("<id>/b/<block>"), loaded into *r once
 * per report id (*rid remembers which; *ok whether it loaded). */
static const xa_report *
report_of(ctx *c, const char *scope, const char *entity, xa_report *r, char *rid, int *ok)
{
    const char *bs = strstr(entity, "/b/");
    size_t n = bs ? (size_t)(bs - entity) : 0;

    if (bs == NULL || n > XA_ENTITY_MAX)
        return NULL;
    if (strlen(rid) != n || strncmp(rid, entity, n) != 0) {
        if (*ok)
            xa_report_free(r);
        snprintf(rid, XA_ENTITY_MAX + 1, "%.*s", (int)n, entity);
        *ok = xa_report_load(c->st, scope, rid, r) == 0;
    }
    return *ok ? r : NULL;
}

/* The siblings of a field as the page showed them: "node:seq,..." front
 * first, so a write names exactly the values it settles. */
static void seen_of(const xa_field *f, char *out, size_t cap)
{
    size_t k = 0;

    out[0] = '\0';
    for (size_t i = 0; i < f->n && k < cap; i++) {
        char hex[XA_NODE_HEX + 1];
        xa_node_format(f->v[i].dot.node, hex);
        int w = snprintf(out + k, cap - k, "%s%s:%llu", i ? "," : "", hex,
                         (unsigned long long)f->v[i].dot.seq);
        if (w < 0 || (size_t)w >= cap - k) {
            out[0] = '\0';
            return;
        }
        k += (size_t)w;
    }
}

#define XA_DESK_VALUE_MAX 4000 /* bytes a value written by an admin may hold */

/* For an admin: a value typed into a field in conflict, written as an
 * ordinary edit that supersedes every value shown (do_resolve).  `back` is
 * the report's id when the form is on its page, else NULL. */
static void resolve_form(ctx *c, sb *b, const char *scope, const xa_field *f, const char *back)
{
    char seen[1024];

    if (strcmp(c->u.role, "admin") != 0)
        return;
    seen_of(f, seen, sizeof(seen));
    sb_printf(
        b,
        "<form method=\"post\" action=\"/desk/resolve\" class=\"resolve\" data-confirm=\"%s\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" "
        "name=\"scope\" value=\"",
        L(c, "Ghi giá trị này cho xã? Nó thay cả hai giá trị và đồng bộ về máy của xã.",
          "Write this value for the commune? It replaces both values and syncs to the "
          "commune's PCs."),
        c->csrf);
    html(b, scope);
    sb_puts(b, "\"><input type=\"hidden\" name=\"entity\" value=\"");
    html(b, f->entity);
    sb_puts(b, "\"><input type=\"hidden\" name=\"field\" value=\"");
    html(b, f->field);
    sb_puts(b, "\"><input type=\"hidden\" name=\"seen\" value=\"");
    html(b, seen);
    sb_puts(b, "\">");
    if (back) {
        sb_puts(b, "<input type=\"hidden\" name=\"back\" value=\"");
        html(b, back);
        sb_puts(b, "\">");
    }
    sb_printf(b,
              "<input type=\"text\" name=\"value\" maxlength=\"%d\" required aria-label=\"%s\" "
              "placeholder=\"%s\"><button>%s</button></form>",
              XA_DESK_VALUE_MAX, L(c, "Giá trị mới", "New value"),
              L(c, "Viết giá trị mới", "Type a new value"),
              L(c, "Ghi (quản trị)", "Write (admin)"));
}

/* Who settles a conflict, said where conflicts are listed. */
static const char *settle_note(const ctx *c)
{
    return strcmp(c->u.role, "admin") == 0
               ? L(c,
                   "Việc chọn giá trị đúng là của xã. Người quản trị của huyện có thể viết một "
                   "giá trị thay: nó thay các giá trị đang xung đột, mang tên người viết "
                   "(\"Huyện: tên\") và đồng bộ về máy của xã như mọi chỉnh sửa.",
                   "Settling stays with the commune. An admin of the district may write a value "
                   "instead: it replaces the values in conflict, carries the writer's name "
                   "(\"Huyện: name\") and syncs to the commune's PCs like any edit.")
               : L(c,
                   "Việc chọn giá trị đúng là của xã; chỉ người quản trị của huyện mới có thể "
                   "viết một giá trị thay.",
                   "Settling stays with the commune; only an admin of the district may write a "
                   "value instead.");
}

static void history(ctx *c, sb *b, const char *scope, const char *id)
{
    xa_logent *e = NULL;
    size_t n = 0, shown = 0, idl = strlen(id);
    char when[48];

    if (xa_store_log(c->st, scope, NULL, NULL, &e, &n) < 0)
        return;
    sb_printf(b, "<table id=\"history\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
              L(c, "Lúc", "When"), L(c, "Người", "Who"), L(c, "Ô", "Field"),
              L(c, "Giá trị", "Value"));
    for (size_t i = n; i-- > 0 && shown < 60;) {
        const xa_op *op = &e[i].op;
        if (strncmp(op->entity, id, idl) != 0 ||
            (op->entity[idl] != '\0' && op->entity[idl] != '/'))
            continue;
        if (strcmp(op->field, "sent") == 0)
            continue; /* the snapshot: long, and shown as the state */
        shown++;
        fmt_time(op->hlc, when, sizeof(when));
        sb_printf(b, "<tr><td>%s</td><td>", when);
        html(b, op->author);
        sb_puts(b, "</td><td>");
        html(b, op->entity + idl);
        sb_puts(b, " ");
        html(b, op->field);
        sb_puts(b, "</td><td>");
        char *v = jdecode(op->value);
        if (v && strlen(v) > 200)
            strcpy(v + 197, "…");
        html(b, v);
        free(v);
        sb_puts(b, "</td></tr>");
    }
    sb_puts(b, "</table>");
    xa_log_free(e, n);
}

static void page_report(ctx *c, const char *msg_vi, const char *msg_en, int err)
{
    const char *scope = arg(c, "scope"), *id = arg(c, "id");
    xa_commune cm;
    xa_report_state rs;
    xa_finding *f = NULL;
    xa_field *cf = NULL;
    size_t n = 0, ncf = 0, idl;
    char when[48];
    sb b = {0};

    if (scope == NULL)
        scope = field(c, "scope"), id = field(c, "id");
    if (report_args(c, scope, id, &cm) < 0 || xa_report_state_get(c->st, scope, id, &rs) < 0) {
        error_page(c, 404, "Không có báo cáo này.", "No such report.");
        return;
    }
    idl = strlen(id);
    page_head(c, &b, cm.name, "completeness");
    sb_puts(&b, "<h1>");
    html(&b, cm.name);
    sb_puts(&b, " — ");
    html(&b, id);
    sb_puts(&b, "</h1>");
    const char *done = arg(c, "done");
    if (msg_vi == NULL && done && strcmp(done, "accepted") == 0) {
        msg_vi = "Đã tiếp nhận; xã sẽ thấy sau lần đồng bộ tới.";
        msg_en = "Accepted; the commune sees it after its next sync.";
    } else if (msg_vi == NULL && done && strcmp(done, "returned") == 0) {
        msg_vi = "Đã trả lại; xã sẽ thấy lý do sau lần đồng bộ tới.";
        msg_en = "Returned; the commune sees the reason after its next sync.";
    } else if (msg_vi == NULL && done && strcmp(done, "resolved") == 0) {
        msg_vi = "Đã ghi giá trị; xã sẽ nhận sau lần đồng bộ tới.";
        msg_en = "The value is written; the commune receives it with its next sync.";
    }
    if (msg_vi) {
        sb_printf(&b, "<p class=\"msg%s\" id=\"%s\">", err ? " err" : "", err ? "error" : "done");
        html(&b, c->en ? msg_en : msg_vi);
        sb_puts(&b, "</p>");
    }
    fmt_time(rs.sent_at, when, sizeof(when));
    sb_printf(&b, "<p>%s: <span class=\"badge s-%s\" id=\"state\">%s</span>",
              L(c, "Tình trạng", "Status"), rs.state, status_label(c, rs.state, -1));
    if (rs.sent_at)
        sb_printf(&b, " %s %s", L(c, "gửi lúc", "sent at"), when);
    if (rs.edited)
        sb_printf(&b, " <span class=\"muted\">(%s)</span>",
                  L(c, "đã sửa sau khi gửi", "edited since it was sent"));
    sb_puts(&b, "</p>");
    if (strcmp(rs.state, "returned") == 0) {
        sb_printf(&b, "<p>%s: <q id=\"reason\">", L(c, "Lý do trả lại", "Reason for return"));
        html(&b, rs.reason);
        sb_puts(&b, "</q></p>");
    }
    sb_puts(&b, "<p class=\"downloads\"><a href=\"/desk/print?scope=");
    url(&b, scope);
    sb_puts(&b, "&amp;id=");
    url(&b, id);
    sb_printf(&b, "\" target=\"_blank\">%s</a><a id=\"dl-docx\" href=\"/desk/report.docx?scope=",
              L(c, "Bản in", "Print view"));
    url(&b, scope);
    sb_puts(&b, "&amp;id=");
    url(&b, id);
    sb_printf(&b, "\">%s</a></p>", L(c, "Tải về Word (.docx)", "Download as Word (.docx)"));
    sb_puts(&b, "<div class=\"cols\"><div class=\"print\"><iframe class=\"print\" title=\"print\" "
                "src=\"/desk/print?scope=");
    url(&b, scope);
    sb_puts(&b, "&amp;id=");
    url(&b, id);
    sb_puts(&b, "\"></iframe></div><div class=\"side\">");
    /* decisions */
    if (rs.sent_at) {
        static const char *const what[2][4] = {
            {"accepted", "Tiếp nhận", "Accept", "accept"},
            {"returned", "Trả lại", "Return", "return"},
        };
        sb_printf(&b, "<section><h2>%s</h2>",
                  L(c, "Quyết định của huyện", "The district's decision"));
        for (int k = 0; k < 2; k++) {
            sb_printf(&b,
                      "<form method=\"post\" action=\"/desk/decide\" id=\"%s-form\" "
                      "data-confirm=\"%s\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                      "<input type=\"hidden\" name=\"decision\" value=\"%s\">"
                      "<input type=\"hidden\" name=\"scope\" value=\"",
                      what[k][3], c->en ? what[k][2] : what[k][1], c->csrf, what[k][0]);
            html(&b, scope);
            sb_puts(&b, "\"><input type=\"hidden\" name=\"id\" value=\"");
            html(&b, id);
            sb_puts(&b, "\">");
            if (k == 1)
                sb_printf(&b,
                          "<p><label for=\"reason-text\">%s</label><br><textarea "
                          "id=\"reason-text\" name=\"reason\" maxlength=\"500\" required>"
                          "</textarea></p>",
                          L(c, "Lý do (xã sẽ thấy sau lần đồng bộ tới)",
                            "Reason (the commune sees it after its next sync)"));
            sb_printf(&b, "<p><button id=\"%s\"%s>%s</button></p></form>", what[k][3],
                      k ? " class=\"danger\"" : "", c->en ? what[k][2] : what[k][1]);
        }
        sb_puts(&b, "</section>");
    }
    /* findings */
    sb_printf(&b, "<section><h2>%s</h2>", L(c, "Điểm cần xem lại", "Check findings"));
    if (findings(c->st, scope, id, &f, &n) == 0) {
        if (n == 0)
            sb_printf(&b, "<p id=\"findings\">%s</p>",
                      L(c, "Không phát hiện sai sót.", "Nothing to flag."));
        else
            sb_puts(&b, "<ol id=\"findings\">");
        for (size_t i = 0; i < n; i++) {
            sb_printf(&b, "<li class=\"finding %s\"><b>", f[i].severity);
            html(&b, f[i].where);
            sb_puts(&b, "</b>: ");
            html(&b, c->en ? f[i].en : f[i].vi);
            sb_puts(&b, "</li>");
        }
        if (n)
            sb_puts(&b, "</ol>");
        xa_findings_free(f, n);
    }
    sb_puts(&b, "</section>");
    /* conflicts of this report */
    sb_printf(&b, "<section><h2>%s</h2>", L(c, "Xung đột", "Conflicts"));
    if (xa_store_fields(c->st, scope, NULL, 1, &cf, &ncf) == 0) {
        size_t shown = 0;
        xa_report rr;
        char rrid[XA_ENTITY_MAX + 1] = "";
        int rok = 0;
        for (size_t i = 0; i < ncf; i++) {
            if (strncmp(cf[i].entity, id, idl) != 0 ||
                (cf[i].entity[idl] != '\0' && cf[i].entity[idl] != '/'))
                continue;
            if (shown++ == 0)
                sb_printf(&b, "<p class=\"muted\" id=\"settle-note\">%s</p><ul id=\"conflicts\">",
                          settle_note(c));
            sb_puts(&b, "<li>");
            field_label(c, &b, report_of(c, scope, cf[i].entity, &rr, rrid, &rok), cf[i].entity,
                        cf[i].field);
            sb_puts(&b, ": ");
            for (size_t k = 0; k < cf[i].n; k++) {
                char *v = jdecode(cf[i].v[k].value);
                sb_puts(&b, k ? " | <q>" : "<q>");
                html(&b, v);
                sb_puts(&b, "</q> (");
                html(&b, cf[i].v[k].author);
                sb_puts(&b, ")");
                free(v);
            }
            resolve_form(c, &b, scope, &cf[i], id);
            sb_puts(&b, "</li>");
        }
        if (shown)
            sb_puts(&b, "</ul>");
        else
            sb_printf(&b, "<p>%s</p>", L(c, "Không có.", "None."));
        xa_fields_free(cf, ncf);
        if (rok)
            xa_report_free(&rr);
    }
    sb_puts(&b, "</section>");
    sb_printf(&b, "<section><details><summary><b>%s</b> (%s)</summary>", L(c, "Lịch sử", "History"),
              L(c, "ai sửa gì, lúc nào", "who changed what, when"));
    history(c, &b, scope, id);
    sb_puts(&b, "</details></section></div></div>");
    page_tail(&b);
    respond(c, err ? (unsigned)(err > 1 ? err : 400) : 200, "text/html; charset=utf-8", &b);
}

static void do_decide(ctx *c)
{
    const char *scope = field(c, "scope"), *id = field(c, "id"), *d = field(c, "decision");
    const char *reason = field(c, "reason");
    xa_commune cm;
    int accept, rc;

    if (c->form_bad || report_args(c, scope, id, &cm) < 0) {
        error_page(c, 400, "Báo cáo hoặc xã không hợp lệ.", "Not a valid commune or report.");
        return;
    }
    if (d == NULL || (strcmp(d, "accepted") != 0 && strcmp(d, "returned") != 0)) {
        error_page(c, 400, "Quyết định là tiếp nhận hoặc trả lại.",
                   "The decision is accept or return.");
        return;
    }
    accept = strcmp(d, "accepted") == 0;
    /* the query of the page shown after */
    static __thread const char *args[5];
    args[0] = "scope", args[1] = scope, args[2] = "id", args[3] = id, args[4] = NULL;
    xa_desk_req q2 = *c->q;
    q2.args = args;
    const xa_desk_req *orig = c->q;
    c->q = &q2;
    if (!accept && !text_ok(reason, 500, 1, 1)) {
        page_report(c, "Lý do trả lại: cần từ 1 đến 500 byte chữ, không có ký tự điều khiển.",
                    "A reason for the return: 1 to 500 bytes of text, no control characters.", 1);
        c->q = orig;
        return;
    }
    c->wlock(c->lk);
    rc = xa_report_decide(c->st, scope, id, accept ? "accepted" : "returned",
                          accept ? NULL : reason, c->u.name);
    c->wunlock(c->lk);
    c->q = orig;
    if (rc < 0) {
        c->q = &q2;
        page_report(c, xa_error_last(), xa_error_last(), 1);
        c->q = orig;
        return;
    }
    /* After the post, the report page by GET: a reload sends nothing again. */
    sb to = {0};
    sb_puts(&to, "/desk/report?scope=");
    url(&to, scope);
    sb_puts(&to, "&id=");
    url(&to, id);
    sb_puts(&to, accept ? "&done=accepted" : "&done=returned");
    redirect(c, to.oom ? "/desk/" : to.p);
    free(to.p);
}

static void do_deadline(ctx *c)
{
    const char *form = field(c, "form"), *period = field(c, "period"), *due = field(c, "due");
    xa_form f;
    struct tm tm;
    int y, m, d, rc;
    char extra;

    if (strcmp(c->u.role, "admin") != 0) {
        error_page(c, 403, "Chỉ người quản trị đặt hạn nộp.", "Only an admin sets deadlines.");
        return;
    }
    if (c->form_bad || !text_ok(form, XA_ENTITY_MAX, 1, 0) || !text_ok(period, 31, 1, 0) ||
        !text_ok(due, 10, 1, 0) || sscanf(due, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 ||
        y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) {
        error_page(c, 400, "Cần biểu mẫu, kỳ và ngày (YYYY-MM-DD).",
                   "A form, a period and a day (YYYY-MM-DD) are needed.");
        return;
    }
    rc = xa_form_get(c->st, XA_FORMS_SCOPE, form, &f);
    if (rc == 0) {
        rc = xa_period_check(f.period_type, period);
        xa_form_free(&f);
    }
    if (rc < 0) {
        error_page(c, 400, xa_error_last(), xa_error_last());
        return;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + 1;
    tm.tm_isdst = -1;
    c->wlock(c->lk);
    rc = xa_desk_deadline_set(c->st, form, period, (int64_t)mktime(&tm) * 1000 - 1);
    c->wunlock(c->lk);
    if (rc < 0) {
        error_page(c, 500, xa_error_last(), xa_error_last());
        return;
    }
    sb to = {0};
    sb_puts(&to, "/desk/?form=");
    url(&to, form);
    sb_puts(&to, "&period=");
    url(&to, period);
    redirect(c, to.oom ? "/desk/" : to.p);
    free(to.p);
}

/* ---- conflicts ------------------------------------------------------------ */

static void page_conflicts(ctx *c, const char *msg_vi, const char *msg_en, unsigned status);

/* An admin's value for a field in conflict: an ordinary op in the commune's
 * scope whose context covers every sibling (xa_store_set with resolve, the
 * store's one apply, as a clerk's `xasync resolve`), checked at the door as
 * the clerk's editor checks a cell, and only if the field still holds the
 * values the page showed. */
static void do_resolve(ctx *c)
{
    const char *scope = field(c, "scope"), *entity = field(c, "entity"), *fld = field(c, "field");
    const char *value = field(c, "value"), *seen = field(c, "seen"), *back = field(c, "back");
    const char *vi = NULL, *en = NULL;
    char author[XA_AUTHOR_MAX + 1], now[1024], msg[512], *norm = NULL, *json = NULL;
    unsigned status = 400;
    xa_commune cm;
    xa_field f;
    int rc;

    memset(&f, 0, sizeof(f));
    /* the page shown after: the report's (back = its id) or the conflicts' */
    static __thread const char *args[5];
    xa_desk_req q2 = *c->q;
    const xa_desk_req *orig = c->q;
    int on_report = back && text_ok(back, XA_ENTITY_MAX, 1, 0) && xa_check_entity(back) == 0;
    args[0] = "scope", args[1] = scope, args[2] = on_report ? "id" : NULL,
    args[3] = on_report ? back : NULL, args[4] = NULL;
    if (!on_report && !(scope && text_ok(scope, XA_SCOPE_MAX, 1, 0) && xa_check_scope(scope) == 0))
        args[0] = NULL;
    q2.args = args;

    if (strcmp(c->u.role, "admin") != 0) {
        status = 403;
        vi = "Chỉ người quản trị của huyện mới viết giá trị cho ô đang xung đột; việc chọn giá trị "
             "là của xã. Không có gì thay đổi.";
        en = "Only an admin of the district writes a value into a field in conflict; settling it "
             "stays with the commune. Nothing was changed.";
        goto fail;
    }
    if (c->form_bad) {
        vi = "Biểu mẫu gửi lên có chữ không phải UTF-8 hoặc quá nhiều ô; không có gì thay đổi.";
        en = "The form holds text that is not UTF-8, or too many fields; nothing was changed.";
        goto fail;
    }
    if (scope == NULL || !text_ok(scope, XA_SCOPE_MAX, 1, 0) || xa_check_scope(scope) < 0 ||
        strcmp(scope, XA_FORMS_SCOPE) == 0 || xa_district_commune_get(c->st, scope, &cm) < 0 ||
        entity == NULL || !text_ok(entity, XA_ENTITY_MAX, 1, 0) || xa_check_entity(entity) < 0 ||
        fld == NULL || !text_ok(fld, 64, 1, 0) || xa_check_field(fld) < 0 || seen == NULL ||
        !text_ok(seen, sizeof(now) - 1, 0, 0)) {
        vi = "Xã hoặc ô không hợp lệ; không có gì thay đổi.";
        en = "Not a valid commune or field; nothing was changed.";
        goto fail;
    }
    if (value == NULL || !text_ok(value, XA_DESK_VALUE_MAX, 1, 0)) {
        vi = "Giá trị: cần từ 1 đến 4000 byte chữ trên một dòng, không có ký tự điều khiển; "
             "không có gì thay đổi.";
        en = "A value: 1 to 4000 bytes of text on one line, no control characters; nothing "
             "was changed.";
        goto fail;
    }
    /* a cell of a report's table: a figure where the row holds figures
     * (report.h, xa_report_cell_value), stored in its normal form */
    const char *bs = strstr(entity, "/b/");
    if (bs) {
        char rid[XA_ENTITY_MAX + 1];
        xa_report r;
        snprintf(rid, sizeof(rid), "%.*s", (int)(bs - entity), entity);
        if (xa_report_load(c->st, scope, rid, &r) == 0) {
            rc = xa_report_cell_value(&r, entity, fld, NULL, value, &norm);
            xa_report_free(&r);
            if (rc < 0) {
                snprintf(msg, sizeof(msg), "%s", xa_error_last());
                vi = en = msg;
                goto fail;
            }
            value = norm;
        }
    }
    cJSON *j = cJSON_CreateString(value);
    json = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    snprintf(author, sizeof(author), "Huyện: %s", c->u.name);
    if (json == NULL) {
        status = 500;
        vi = en = "out of memory";
        goto fail;
    }
    c->wlock(c->lk);
    rc = xa_store_get(c->st, scope, entity, fld, &f);
    if (rc == 0)
        seen_of(&f, now, sizeof(now));
    if (rc < 0 || f.n < 2 || strcmp(now, seen) != 0) {
        c->wunlock(c->lk);
        status = 409;
        vi = "Ô này đã thay đổi trong lúc bạn xem (xã đã chọn giá trị, hoặc có giá trị mới); hãy "
             "xem lại các giá trị. Không có gì thay đổi.";
        en = "This field changed while you looked (the commune settled it, or a new value "
             "came); look at its values again. Nothing was changed.";
        goto fail;
    }
    rc = xa_store_set(c->st, scope, entity, fld, json, author, 1, NULL);
    c->wunlock(c->lk);
    if (rc < 0) {
        status = rc == XA_EINVAL || rc == XA_ETOOBIG ? 400 : 500;
        snprintf(msg, sizeof(msg), "%s", xa_error_last());
        vi = en = msg;
        goto fail;
    }
    xa_field_clear(&f);
    free(json);
    free(norm);
    /* After the post, the page by GET: a reload sends nothing again. */
    sb to = {0};
    if (on_report) {
        sb_puts(&to, "/desk/report?scope=");
        url(&to, scope);
        sb_puts(&to, "&id=");
        url(&to, back);
        sb_puts(&to, "&done=resolved");
    } else {
        sb_puts(&to, "/desk/conflicts?done=resolved");
    }
    redirect(c, to.oom ? "/desk/" : to.p);
    free(to.p);
    return;
fail:
    if (f.n)
        xa_field_clear(&f);
    free(json);
    c->q = &q2;
    if (on_report && scope && text_ok(scope, XA_SCOPE_MAX, 1, 0) && xa_check_scope(scope) == 0 &&
        xa_district_commune_get(c->st, scope, &cm) == 0)
        page_report(c, vi, en, (int)status);
    else
        page_conflicts(c, vi, en, status);
    c->q = orig;
    free(norm);
}

/* The outcome of an admin's write, above the list. */
static void outcome(ctx *c, sb *b, const char *msg_vi, const char *msg_en, int err)
{
    const char *done = arg(c, "done");

    if (msg_vi == NULL && done && strcmp(done, "resolved") == 0) {
        msg_vi = "Đã ghi giá trị; xã sẽ nhận sau lần đồng bộ tới.";
        msg_en = "The value is written; the commune receives it with its next sync.";
    }
    if (msg_vi) {
        sb_printf(b, "<p class=\"msg%s\" id=\"%s\">", err ? " err" : "", err ? "error" : "done");
        html(b, c->en ? msg_en : msg_vi);
        sb_puts(b, "</p>");
    }
}

static void page_conflicts(ctx *c, const char *msg_vi, const char *msg_en, unsigned status)
{
    const char *only = arg(c, "scope");
    xa_commune *cm = NULL;
    size_t nc = 0, total = 0;
    sb b = {0};

    page_head(c, &b, L(c, "Xung đột", "Conflicts"), "conflicts");
    sb_printf(&b, "<h1>%s</h1>", L(c, "Xung đột", "Conflicts"));
    outcome(c, &b, msg_vi, msg_en, status != 200);
    sb_printf(&b, "<p class=\"msg\" id=\"settle-note\">%s %s</p>",
              L(c, "Hai máy của một xã đã sửa cùng một ô. Huyện xem cả hai giá trị và người viết.",
                "Two PCs of a commune changed the same field. The district sees both values and "
                "their authors."),
              settle_note(c));
    if (xa_district_communes(c->st, &cm, &nc) == 0) {
        sb_printf(&b, "<table id=\"conflicts\"><tr><th>%s</th><th>%s</th><th>%s</th></tr>",
                  L(c, "Xã", "Commune"), L(c, "Ô", "Field"),
                  L(c, "Các giá trị (người viết)", "Values (authors)"));
        for (size_t i = 0; i < nc; i++) {
            xa_field *f = NULL;
            size_t n = 0;
            xa_report rr;
            char rrid[XA_ENTITY_MAX + 1] = "";
            int rok = 0;
            if (cm[i].conflicts == 0 || (only && strcmp(only, cm[i].scope) != 0))
                continue;
            if (xa_store_fields(c->st, cm[i].scope, NULL, 1, &f, &n) < 0)
                continue;
            for (size_t k = 0; k < n && total < 2000; k++, total++) {
                sb_puts(&b, "<tr data-scope=\"");
                html(&b, cm[i].scope);
                sb_puts(&b, "\" data-field=\"");
                html(&b, f[k].entity);
                sb_puts(&b, " ");
                html(&b, f[k].field);
                sb_puts(&b, "\"><td>");
                html(&b, cm[i].name);
                sb_puts(&b, "</td><td>");
                field_label(c, &b, report_of(c, cm[i].scope, f[k].entity, &rr, rrid, &rok),
                            f[k].entity, f[k].field);
                sb_puts(&b, "</td><td>");
                for (size_t j = 0; j < f[k].n; j++) {
                    char *v = jdecode(f[k].v[j].value);
                    sb_puts(&b, j ? "<br><q>" : "<q>");
                    html(&b, v);
                    sb_puts(&b, "</q> — ");
                    html(&b, f[k].v[j].author);
                    free(v);
                }
                resolve_form(c, &b, cm[i].scope, &f[k], NULL);
                sb_puts(&b, "</td></tr>");
            }
            xa_fields_free(f, n);
            if (rok)
                xa_report_free(&rr);
        }
        sb_puts(&b, "</table>");
        if (total == 0)
            sb_printf(&b, "<p>%s</p>", L(c, "Không có xung đột nào.", "No conflicts."));
    }
    free(cm);
    page_tail(&b);
    respond(c, status, "text/html; charset=utf-8", &b);
}

/* ---- the rollup ----------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *fig(const cJSON *o, const char *col, const char *member)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, col);

    return cJSON_IsObject(f) ? jstr(f, member) : "";
}

/* The rollups made lately, kept while nothing new has reached the district:
 * the sum of every (scope, node) seq held only grows with each op applied
 * (the journal is never rewritten), so an unchanged sum is unchanged data. */
typedef struct rcache {
    char form[XA_ENTITY_MAX + 1], period[32];
    int64_t version;
    char *json, *line;
} rcache;

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static rcache rcs[16];
static unsigned rc_next;

static int data_version(xa_store *st, int64_t *v)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT total(seq), count(*) FROM have", -1, &s, NULL);

    if (rc != SQLITE_OK)
        return xa_db_error(st, rc, "reading what the district holds");
    rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? (int64_t)sqlite3_column_double(s, 0) * 1024 + sqlite3_column_int64(s, 1)
                          : -1;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : xa_db_error(st, rc, "reading what the district holds");
}

/* What a line over periods needs of a rollup: each indicator's district
 * estimate, as records "\x1eCODE\x1fVALUE\x1fTEXT" (names and figures hold
 * no control characters), so a page does not parse every period's rollup. */
static char *line_summary(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *ind;
    sb b = {0};

    sb_puts(&b, "");
    cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ind, "district");
        if (fig(d, "est", "value")[0] == '\0')
            continue;
        sb_printf(&b, "\x1e%s\x1f%s\x1f%s", jstr(ind, "code"), fig(d, "est", "value"),
                  fig(d, "est", "text"));
    }
    cJSON_Delete(doc);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The rollup of a form and period (*json) and its line summary (*line),
 * either may be NULL; made once while the data stays the same. */
static int rollup_get(xa_store *st, const char *form, const char *period, char **json, char **line)
{
    xa_rollup2_opts o = {form, period, 0};
    int64_t v = -1;
    char *made = NULL, *sum = NULL;
    int rc = data_version(st, &v);

    if (rc < 0)
        return rc;
    pthread_mutex_lock(&rc_lock);
    for (size_t i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++)
        if (rcs[i].json && rcs[i].version == v && strcmp(rcs[i].form, form) == 0 &&
            strcmp(rcs[i].period, period) == 0) {
            int bad = 0;
            if (json)
                bad |= (*json = strdup(rcs[i].json)) == NULL;
            if (line)
                bad |= (*line = strdup(rcs[i].line)) == NULL;
            pthread_mutex_unlock(&rc_lock);
            return bad ? xa_error_set(XA_ENOMEM, "out of memory") : 0;
        }
    pthread_mutex_unlock(&rc_lock);
    rc = xa_rollup2(st, &o, &made);
    if (rc < 0)
        return rc;
    sum = line_summary(made);
    if (sum == NULL) {
        free(made);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&rc_lock);
    rcache *e = &rcs[rc_next++ % (sizeof(rcs) / sizeof(rcs[0]))];
    free(e->json);
    free(e->line);
    e->json = strdup(made);
    e->line = e->json ? strdup(sum) : NULL;
    if (e->line == NULL) {
        free(e->json);
        e->json = NULL;
    }
    e->version = v;
    snprintf(e->form, sizeof(e->form), "%s", form);
    snprintf(e->period, sizeof(e->period), "%s", period);
    pthread_mutex_unlock(&rc_lock);
    if (json)
        *json = made;
    else
        free(made);
    if (line)
        *line = sum;
    else
        free(sum);
    return 0;
}

static int rollup_cached(xa_store *st, const char *form, const char *period, char **json)
{
    return rollup_get(st, form, period, json, NULL);
}

/* The rollup document of ?form= and ?period= (malloc'd), or NULL with a page
 * answered. */
/* The same period of the year before: 2024-h1 → 2023-h1, 2024 → 2023. */
static int prev_year(const char *period, char *out, size_t cap)
{
    char *end;
    long y = strtol(period, &end, 10);

    if (end != period + 4 || y < 2001 || y > 9999 || (*end != '\0' && *end != '-'))
        return -1;
    snprintf(out, cap, "%ld%s", y - 1, end);
    return 0;
}

#define LINE_PERIODS 8 /* the line over periods: the last this many periods with reports */

typedef struct periods {
    char p[LINE_PERIODS][32];
    size_t n;
} periods;

static char *rollup_json(ctx *c,
                         char *form,
                         size_t cap,
                         char *period,
                         size_t pcap,
                         char *last,
                         size_t lcap,
                         periods *held)
{
    const char *want = arg(c, "period");
    char **ids = NULL, *json = NULL;
    size_t nids = 0;
    headers h;
    int rc = current_form(c, form, cap, &ids, &nids);

    free_ids(ids, nids);
    memset(&h, 0, sizeof(h));
    if (rc == 0 && form[0] == '\0') {
        error_page(c, 404, "Huyện chưa có biểu mẫu nào.", "The district has no form yet.");
        return NULL;
    }
    if (rc == 0)
        rc = scan_headers(c->st, form, &h);
    if (rc < 0) {
        error_page(c, 500, xa_error_last(), xa_error_last());
        return NULL;
    }
    known_periods(c, form, &h);
    period[0] = '\0';
    if (want && text_ok(want, pcap - 1, 1, 0))
        snprintf(period, pcap, "%s", want);
    else if (h.np)
        snprintf(period, pcap, "%s", h.periods[h.np - 1]);
    /* the same period of the year before, when the district holds it */
    last[0] = '\0';
    if (period[0] && prev_year(period, last, lcap) == 0) {
        size_t k;
        for (k = 0; k < h.np; k++)
            if (strcmp(h.periods[k], last) == 0)
                break;
        if (k == h.np)
            last[0] = '\0';
    }
    /* the periods some commune has sent a report for, the last ones */
    if (held) {
        held->n = 0;
        for (size_t k = h.np; k-- > 0 && held->n < LINE_PERIODS;) {
            size_t i;
            for (i = 0; i < h.n; i++)
                if (h.v[i].sent_at >= 0 && strcmp(h.v[i].period, h.periods[k]) == 0)
                    break;
            if (i < h.n)
                snprintf(held->p[held->n++], sizeof(held->p[0]), "%s", h.periods[k]);
        }
        for (size_t i = 0; i < held->n / 2; i++) { /* oldest first */
            char t[32];
            memcpy(t, held->p[i], sizeof(t));
            memcpy(held->p[i], held->p[held->n - 1 - i], sizeof(t));
            memcpy(held->p[held->n - 1 - i], t, sizeof(t));
        }
    }
    free(h.v);
    if (period[0] == '\0') {
        error_page(c, 404, "Chưa có kỳ báo cáo nào cho biểu mẫu này.",
                   "No period yet for this form.");
        return NULL;
    }
    rc = rollup_cached(c->st, form, period, &json);
    if (rc < 0) {
        error_page(c, rc == XA_EINVAL || rc == XA_ENOTFOUND ? 400 : 500, xa_error_last(),
                   xa_error_last());
        return NULL;
    }
    return json;
}

static void svg_bars(ctx *c, sb *b, const cJSON *ind, const cJSON *communes)
{
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(ind, "communes"), *cm;
    double max = 0;
    size_t n = 0;

    cJSON_ArrayForEach(cm, communes)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cv, jstr(cm, "scope"));
        double x = atof(fig(v, "est", "value"));
        if (v && x > max)
            max = x;
        n++;
    }
    if (max <= 0 || n == 0)
        return;
    sb_printf(b, "<svg class=\"bars\" width=\"560\" height=\"%zu\" role=\"img\" aria-label=\"%s\">",
              n * 18 + 6, L(c, "Ước thực hiện theo xã", "Estimate by commune"));
    size_t i = 0;
    cJSON_ArrayForEach(cm, communes)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cv, jstr(cm, "scope"));
        double x = atof(fig(v, "est", "value"));
        int w = v ? (int)(300.0 * x / max + 0.5) : 0;
        sb_printf(b, "<text x=\"0\" y=\"%zu\">", i * 18 + 14);
        html(b, jstr(cm, "name"));
        sb_printf(b,
                  "</text><rect class=\"bar\" x=\"170\" y=\"%zu\" width=\"%d\" height=\"13\"/>"
                  "<text x=\"%d\" y=\"%zu\">",
                  i * 18 + 3, w, 176 + w, i * 18 + 14);
        html(b, v ? fig(v, "est", "text") : "—");
        sb_puts(b, "</text>");
        i++;
    }
    sb_puts(b, "</svg>");
}

/* One indicator's district estimate over the periods held: a line of our own
 * SVG, each point carrying its period and exact figure (data-period,
 * data-value, as in the rollup's JSON).  Nothing when fewer than two periods
 * have a figure. */
/* An indicator's record in a line summary (line_summary): 1 and its value
 * and text, or 0. */
static int
summary_find(const char *sum, const char *code, char *val, size_t vcap, char *txt, size_t tcap)
{
    size_t cl = strlen(code);

    for (const char *p = sum ? strchr(sum, '\x1e') : NULL; p; p = strchr(p + 1, '\x1e')) {
        if (strncmp(p + 1, code, cl) != 0 || p[1 + cl] != '\x1f')
            continue;
        const char *v = p + 2 + cl, *t = strchr(v, '\x1f');
        if (t == NULL)
            return 0;
        const char *end = strchr(t + 1, '\x1e');
        size_t tl = end ? (size_t)(end - t - 1) : strlen(t + 1);
        snprintf(val, vcap, "%.*s", (int)(t - v), v);
        snprintf(txt, tcap, "%.*s", (int)tl, t + 1);
        return 1;
    }
    return 0;
}

static void
svg_line(ctx *c, sb *b, const cJSON *ind, const periods *held, char *const lines[LINE_PERIODS])
{
    char val[LINE_PERIODS][64], txt[LINE_PERIODS][64];
    int has[LINE_PERIODS] = {0};
    double x[LINE_PERIODS], lo = 0, hi = 0;
    size_t n = 0;

    for (size_t k = 0; k < held->n; k++) {
        if (summary_find(lines[k], jstr(ind, "code"), val[k], sizeof(val[k]), txt[k],
                         sizeof(txt[k]))) {
            has[k] = 1;
            x[k] = atof(val[k]);
            if (n == 0 || x[k] < lo)
                lo = x[k];
            if (n == 0 || x[k] > hi)
                hi = x[k];
            n++;
        }
    }
    if (n < 2)
        return;
    if (lo > 0)
        lo = 0; /* from zero, as the bars */
    if (hi <= lo)
        hi = lo + 1;
    sb_puts(b, "<svg class=\"line\" data-code=\"");
    html(b, jstr(ind, "code"));
    sb_printf(b, "\" width=\"%zu\" height=\"150\" role=\"img\" aria-label=\"%s\">",
              80 + held->n * 100,
              L(c, "Ước thực hiện của huyện theo kỳ", "The district's estimate by period"));
    sb_puts(b, "<line class=\"axis\" x1=\"40\" y1=\"110\" x2=\"2000\" y2=\"110\"/><polyline "
               "class=\"trend\" points=\"");
    for (size_t k = 0; k < held->n; k++)
        if (has[k])
            sb_printf(b, "%zu,%.1f ", 60 + k * 100, 110 - 95 * (x[k] - lo) / (hi - lo));
    sb_puts(b, "\"/>");
    for (size_t k = 0; k < held->n; k++) {
        size_t px = 60 + k * 100;
        if (has[k]) {
            double py = 110 - 95 * (x[k] - lo) / (hi - lo);
            sb_printf(b, "<circle class=\"pt\" cx=\"%zu\" cy=\"%.1f\" r=\"4\" data-period=\"", px,
                      py);
            html(b, held->p[k]);
            sb_puts(b, "\" data-value=\"");
            html(b, val[k]);
            sb_puts(b, "\"><title>");
            html(b, held->p[k]);
            sb_puts(b, ": ");
            html(b, txt[k]);
            sb_printf(b, "</title></circle><text x=\"%zu\" y=\"%.1f\">", px + 6, py - 6);
            html(b, txt[k]);
            sb_puts(b, "</text>");
        }
        sb_printf(b, "<text x=\"%zu\" y=\"128\">", px - 20);
        html(b, held->p[k]);
        sb_puts(b, "</text>");
    }
    sb_puts(b, "</svg>");
}

static void page_rollup(ctx *c)
{
    char form[XA_ENTITY_MAX + 1], period[32], last[32];
    periods held;
    char *json =
        rollup_json(c, form, sizeof(form), period, sizeof(period), last, sizeof(last), &held);
    cJSON *doc, *ind, *cm;
    char *before = NULL, *lines[LINE_PERIODS] = {0}, lv[64], lt[64];
    sb b = {0};

    if (json == NULL)
        return;
    doc = cJSON_Parse(json);
    free(json);
    /* the district's estimates of the same period a year before, and of the
     * periods held, for the lines: the rollups' summaries */
    if (last[0] && rollup_get(c->st, form, last, NULL, &before) < 0)
        before = NULL;
    for (size_t k = 0; held.n > 1 && k < held.n; k++)
        if (rollup_get(c->st, form, held.p[k], NULL, &lines[k]) < 0)
            lines[k] = NULL;
    const cJSON *communes = cJSON_GetObjectItemCaseSensitive(doc, "communes");
    page_head(c, &b, L(c, "Tổng hợp", "Rollup"), "rollup");
    sb_puts(&b, "<h1>");
    html(&b, jstr(doc, "title"));
    sb_puts(&b, "</h1><p>");
    sb_printf(&b, "%s <b>", L(c, "Biểu mẫu", "Form"));
    html(&b, form);
    sb_printf(&b, "</b>, %s <b id=\"period\">", L(c, "kỳ", "period"));
    html(&b, period);
    sb_puts(&b, "</b></p><p class=\"downloads\">");
    static const char *const dl[][2] = {
        {"csv", "CSV"}, {"xlsx", "Excel (.xlsx)"}, {"docx", "Word (.docx)"}};
    for (size_t i = 0; i < 3; i++) {
        sb_printf(&b, "<a id=\"dl-%s\" href=\"/desk/rollup.%s?form=", dl[i][0], dl[i][0]);
        url(&b, form);
        sb_puts(&b, "&amp;period=");
        url(&b, period);
        sb_printf(&b, "\">%s</a>", dl[i][1]);
    }
    sb_puts(&b, "</p>");
    /* the district's table */
    sb_printf(&b,
              "<table id=\"rollup\"><tr><th>TT</th><th>%s</th><th>%s</th><th class=\"num\">%s"
              "</th><th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
              "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr>",
              L(c, "Chỉ tiêu", "Indicator"), L(c, "ĐVT", "Unit"), L(c, "Cùng kỳ", "Same period"),
              L(c, "Kế hoạch", "Plan"), L(c, "Ước TH", "Estimate"),
              L(c, "So cùng kỳ %", "vs prev %"), L(c, "So KH %", "vs plan %"),
              L(c, "Còn phải TH", "Remaining"), L(c, "Số xã", "Communes"));
    if (before) {
        /* one more header cell, before the row ends */
        b.n -= strlen("</tr>");
        b.p[b.n] = '\0';
        sb_printf(&b, "<th class=\"num\">%s ",
                  L(c, "Ước TH cùng kỳ năm trước", "Estimate, same period last year"));
        html(&b, last);
        sb_puts(&b, "</th></tr>");
    }
    cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ind, "district");
        static const char *const cols[] = {"prev", "plan", "est", "vs_prev", "vs_plan", "remain"};
        sb_puts(&b, "<tr data-code=\"");
        html(&b, jstr(ind, "code"));
        sb_puts(&b, "\"><td>");
        html(&b, jstr(ind, "tt"));
        sb_puts(&b, "</td><td>");
        html(&b, jstr(ind, "name"));
        sb_puts(&b, "</td><td>");
        html(&b, jstr(ind, "unit"));
        sb_puts(&b, "</td>");
        for (size_t k = 0; k < 6; k++) {
            sb_puts(&b, "<td class=\"num\">");
            html(&b, fig(d, cols[k], "text"));
            sb_puts(&b, "</td>");
        }
        sb_puts(&b, "<td>");
        html(&b, jstr(ind, "counted"));
        const cJSON *ex, *exs = cJSON_GetObjectItemCaseSensitive(ind, "excluded");
        cJSON_ArrayForEach(ex, exs)
        {
            sb_puts(&b, "<br><span class=\"muted excluded\">");
            html(&b, jstr(ex, "name"));
            sb_puts(&b, ": ");
            html(&b, c->en ? jstr(ex, "en") : jstr(ex, "vi"));
            sb_puts(&b, "</span>");
        }
        sb_puts(&b, "</td>");
        if (before) {
            sb_puts(&b, "<td class=\"num last-year\">");
            if (summary_find(before, jstr(ind, "code"), lv, sizeof(lv), lt, sizeof(lt)))
                html(&b, lt);
            sb_puts(&b, "</td>");
        }
        sb_puts(&b, "</tr>");
    }
    sb_puts(&b, "</table>");
    /* not sent */
    const cJSON *ns, *nss = cJSON_GetObjectItemCaseSensitive(doc, "not_sent");
    if (cJSON_GetArraySize(nss)) {
        sb_printf(&b, "<p>%s: ", L(c, "Chưa gửi", "Not sent"));
        int first = 1;
        cJSON_ArrayForEach(ns, nss)
        {
            sb_puts(&b, first ? "" : ", ");
            html(&b, jstr(ns, "name"));
            first = 0;
        }
        sb_puts(&b, "</p>");
    }
    /* by commune, drill-down */
    sb_printf(&b, "<h2>%s</h2><table id=\"matrix\"><tr><th>%s</th>",
              L(c, "Theo xã (ước thực hiện)", "By commune (estimate)"),
              L(c, "Chỉ tiêu", "Indicator"));
    cJSON_ArrayForEach(cm, communes)
    {
        sb_puts(&b, "<th>");
        if (jstr(cm, "report")[0]) {
            sb_puts(&b, "<a href=\"/desk/report?scope=");
            url(&b, jstr(cm, "scope"));
            sb_puts(&b, "&amp;id=");
            url(&b, jstr(cm, "report"));
            sb_puts(&b, "\">");
            html(&b, jstr(cm, "name"));
            sb_puts(&b, "</a>");
        } else {
            html(&b, jstr(cm, "name"));
        }
        sb_puts(&b, "</th>");
    }
    sb_printf(&b, "<th>%s</th></tr>", L(c, "Huyện", "District"));
    cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
    {
        const cJSON *cv = cJSON_GetObjectItemCaseSensitive(ind, "communes");
        sb_puts(&b, "<tr><td>");
        html(&b, jstr(ind, "tt"));
        sb_puts(&b, ". ");
        html(&b, jstr(ind, "name"));
        sb_puts(&b, "</td>");
        cJSON_ArrayForEach(cm, communes)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(cv, jstr(cm, "scope"));
            sb_puts(&b, "<td class=\"num\">");
            html(&b, v ? fig(v, "est", "text") : "");
            sb_puts(&b, "</td>");
        }
        sb_puts(&b, "<td class=\"num\">");
        html(&b, fig(cJSON_GetObjectItemCaseSensitive(ind, "district"), "est", "text"));
        sb_puts(&b, "</td></tr>");
    }
    sb_puts(&b, "</table>");
    /* a bar chart per indicator across communes */
    sb_printf(&b, "<h2>%s</h2>",
              L(c, "Biểu đồ: huyện theo kỳ, và theo xã",
                "Charts: the district by period, and by commune"));
    cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
    {
        sb_puts(&b, "<details><summary>");
        html(&b, jstr(ind, "tt"));
        sb_puts(&b, ". ");
        html(&b, jstr(ind, "name"));
        if (jstr(ind, "unit")[0]) {
            sb_puts(&b, " (");
            html(&b, jstr(ind, "unit"));
            sb_puts(&b, ")");
        }
        sb_puts(&b, "</summary>");
        svg_line(c, &b, ind, &held, lines);
        svg_bars(c, &b, ind, communes);
        sb_puts(&b, "</details>");
    }
    for (size_t k = 0; k < held.n; k++)
        free(lines[k]);
    cJSON_Delete(doc);
    free(before);
    page_tail(&b);
    respond(c, 200, "text/html; charset=utf-8", &b);
}

static void download_name(ctx *c, const char *form, const char *period, const char *ext)
{
    char name[200];
    size_t k = 0;

    snprintf(name, sizeof(name), "tong-hop-%s-%s.%s", form, period, ext);
    /* only safe characters in a header */
    for (char *p = name; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_')
            name[k++] = *p;
    name[k] = '\0';
    add_header(c, "Content-Disposition: attachment; filename=\"%s\"\n", name);
}

static int xlsx_of(const char *json, unsigned char **out, size_t *len);

static void do_download(ctx *c, const char *ext)
{
    char form[XA_ENTITY_MAX + 1], period[32], last[32];
    char *json =
        rollup_json(c, form, sizeof(form), period, sizeof(period), last, sizeof(last), NULL);
    sb b = {0};
    int rc = 0;

    if (json == NULL)
        return;
    if (strcmp(ext, "csv") == 0) {
        char *out = NULL;
        rc = xa_rollup2_print(json, XA_ROLLUP_CSV,
                              strcmp(arg(c, "by") ? arg(c, "by") : "", "commune") == 0, &out);
        if (rc == 0) {
            b.p = out;
            b.n = b.cap = strlen(out);
            download_name(c, form, period, "csv");
            respond(c, 200, "text/csv; charset=utf-8", &b);
        }
    } else if (strcmp(ext, "xlsx") == 0) {
        unsigned char *out = NULL;
        size_t n = 0;
        rc = xlsx_of(json, &out, &n);
        if (rc == 0) {
            b.p = (char *)out;
            b.n = b.cap = n;
            download_name(c, form, period, "xlsx");
            respond(c, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &b);
        }
    } else {
        /* The printed rollup of report/rollup_doc.c (by the form's kind). */
        xa_report r;
        xa_form f;
        xa_rollup ru;
        xa_commune *cm = NULL;
        const char **scopes = NULL;
        unsigned char *out = NULL;
        size_t n = 0, nc = 0;
        rc = xa_form_get(c->st, XA_FORMS_SCOPE, form, &f);
        if (rc == 0) {
            rc = xa_district_communes(c->st, &cm, &nc);
            scopes = rc == 0 ? calloc(nc ? nc : 1, sizeof(*scopes)) : NULL;
            if (rc == 0 && scopes == NULL)
                rc = xa_error_set(XA_ENOMEM, "out of memory");
            for (size_t i = 0; rc == 0 && i < nc; i++)
                scopes[i] = cm[i].scope;
            if (rc == 0)
                rc = xa_report_rollup(c->st, scopes, nc, f.kind, period, &ru);
            if (rc == 0) {
                rc = xa_rollup_report(&ru, f.kind, period, &r);
                xa_rollup_free(&ru);
                if (rc == 0) {
                    rc = xa_report_docx(&r, &out, &n);
                    xa_report_free(&r);
                }
            }
            free(scopes);
            free(cm);
            xa_form_free(&f);
        }
        if (rc == 0) {
            b.p = (char *)out;
            b.n = b.cap = n;
            download_name(c, form, period, "docx");
            respond(c, 200,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", &b);
        }
    }
    free(json);
    if (rc < 0)
        error_page(c, 500, xa_error_last(), xa_error_last());
}

/* The rollup as a workbook (libxlsxwriter): the district's table, then the
 * matrix by commune; numbers as numbers. */
static int xlsx_of(const char *json, unsigned char **out, size_t *len)
{
    char path[] = "/tmp/xasync-desk-XXXXXX";
    int fd = mkstemp(path);
    cJSON *doc = cJSON_Parse(json), *ind, *cm;
    lxw_workbook *wb;
    int rc = 0;

    if (fd < 0 || doc == NULL) {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        cJSON_Delete(doc);
        return xa_error_set(XA_EIO, "cannot make the workbook");
    }
    close(fd);
    wb = workbook_new(path);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, "Tong hop") : NULL;
    lxw_worksheet *wm = wb ? workbook_add_worksheet(wb, "Theo xa") : NULL;
    lxw_format *bold = wb ? workbook_add_format(wb) : NULL;
    if (ws == NULL || wm == NULL || bold == NULL) {
        if (wb)
            workbook_close(wb);
        unlink(path);
        cJSON_Delete(doc);
        return xa_error_set(XA_ENOMEM, "cannot make the workbook");
    }
    format_set_bold(bold);
    static const char *const head[] = {"code",   "tt",       "name", "unit",    "aggregation",
                                       "prev",   "plan",     "est",  "vs_prev", "vs_plan",
                                       "remain", "communes", "of"};
    static const char *const cols[] = {"prev", "plan", "est", "vs_prev", "vs_plan", "remain"};
    for (lxw_col_t k = 0; k < 13; k++)
        worksheet_write_string(ws, 0, k, head[k], bold);
    worksheet_set_column(ws, 2, 2, 50, NULL);
    lxw_row_t r = 1;
    const cJSON *communes = cJSON_GetObjectItemCaseSensitive(doc, "communes");
    lxw_col_t k = 3;
    worksheet_write_string(wm, 0, 0, "code", bold);
    worksheet_write_string(wm, 0, 1, "name", bold);
    worksheet_write_string(wm, 0, 2, "unit", bold);
    cJSON_ArrayForEach(cm, communes) worksheet_write_string(wm, 0, k++, jstr(cm, "name"), bold);
    worksheet_write_string(wm, 0, k, "district", bold);
    worksheet_set_column(wm, 1, 1, 50, NULL);
    cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ind, "district");
        const cJSON *cv = cJSON_GetObjectItemCaseSensitive(ind, "communes");
        static const char *const s[] = {"code", "tt", "name", "unit", "aggregation"};
        for (lxw_col_t j = 0; j < 5; j++)
            worksheet_write_string(ws, r, j, jstr(ind, s[j]), NULL);
        for (lxw_col_t j = 0; j < 6; j++) {
            const char *v = fig(d, cols[j], "value");
            if (v[0])
                worksheet_write_number(ws, r, 5 + j, strtod(v, NULL), NULL);
        }
        const cJSON *nn = cJSON_GetObjectItemCaseSensitive(ind, "n");
        const cJSON *NN = cJSON_GetObjectItemCaseSensitive(ind, "N");
        if (cJSON_IsNumber(nn))
            worksheet_write_number(ws, r, 11, nn->valuedouble, NULL);
        if (cJSON_IsNumber(NN))
            worksheet_write_number(ws, r, 12, NN->valuedouble, NULL);
        worksheet_write_string(wm, r, 0, jstr(ind, "code"), NULL);
        worksheet_write_string(wm, r, 1, jstr(ind, "name"), NULL);
        worksheet_write_string(wm, r, 2, jstr(ind, "unit"), NULL);
        k = 3;
        cJSON_ArrayForEach(cm, communes)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(cv, jstr(cm, "scope"));
            const char *x = v ? fig(v, "est", "value") : "";
            if (x[0])
                worksheet_write_number(wm, r, k, strtod(x, NULL), NULL);
            k++;
        }
        const char *x = fig(d, "est", "value");
        if (x[0])
            worksheet_write_number(wm, r, k, strtod(x, NULL), NULL);
        r++;
    }
    cJSON_Delete(doc);
    if (workbook_close(wb) != LXW_NO_ERROR)
        rc = xa_error_set(XA_EIO, "cannot write the workbook");
    if (rc == 0) {
        FILE *f = fopen(path, "rb");
        long n = -1;
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (*out = malloc((size_t)n)) != NULL && fread(*out, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
        else
            rc = xa_error_set(XA_EIO, "cannot read the workbook back");
        if (f)
            fclose(f);
    }
    unlink(path);
    return rc;
}

/* ---- warming up ------------------------------------------------------------ */

void xa_desk_warm(xa_store *st)
{
    char **ids = NULL;
    size_t nids = 0;
    headers h;

    if (xa_form_list(st, XA_FORMS_SCOPE, &ids, &nids) < 0 || nids == 0) {
        free_ids(ids, nids);
        return;
    }
    const char *form = ids[nids - 1];
    if (scan_headers(st, form, &h) == 0) {
        ctx c;
        memset(&c, 0, sizeof(c));
        c.st = st;
        known_periods(&c, form, &h);
        if (h.np) {
            const char *period = h.periods[h.np - 1];
            xa_commune *cm = NULL;
            size_t nc = 0;
            char *json = NULL;
            if (xa_district_communes(st, &cm, &nc) == 0) {
                for (size_t i = 0; i < nc; i++) {
                    const hdrpick *p = pick_of(&h, cm[i].scope, period);
                    int e, w;
                    if (p && p->id[0])
                        finding_counts(st, cm[i].scope, p->id, cm[i].ops, &e, &w);
                }
                free(cm);
            }
            if (rollup_cached(st, form, period, &json) == 0)
                free(json);
            /* the earlier periods the rollup page draws its lines over */
            size_t lines = 0;
            for (size_t k = h.np - 1; k-- > 0 && lines + 1 < LINE_PERIODS;) {
                size_t i;
                for (i = 0; i < h.n; i++)
                    if (h.v[i].sent_at >= 0 && strcmp(h.v[i].period, h.periods[k]) == 0)
                        break;
                if (i == h.n)
                    continue;
                lines++;
                if (rollup_cached(st, form, h.periods[k], &json) == 0)
                    free(json);
            }
        }
        free(h.v);
    }
    free_ids(ids, nids);
}

/* ---- routing -------------------------------------------------------------- */

static void asset(ctx *c, const unsigned char *data, size_t len, const char *ctype)
{
    sb b = {0};

    sb_add(&b, (const char *)data, len);
    add_header(c, "Cache-Control: max-age=300\n");
    respond(c, 200, ctype, &b);
}

void xa_desk_handle(xa_store *st,
                    const xa_desk_req *q,
                    xa_desk_resp *r,
                    void (*wlock)(void *),
                    void (*wunlock)(void *),
                    void *lk)
{
    ctx c;
    const char *path = q->path;
    int post = strcmp(q->method, "POST") == 0;

    memset(&c, 0, sizeof(c));
    c.st = st;
    c.q = q;
    c.r = r;
    c.wlock = wlock;
    c.wunlock = wunlock;
    c.lk = lk;
    c.en = q->lang && strcmp(q->lang, "en") == 0;
    r->headers[0] = '\0';
    if (strcmp(path, "/desk/desk.css") == 0) {
        asset(&c, xa_desk_css, xa_desk_css_len, "text/css; charset=utf-8");
        return;
    }
    if (strcmp(path, "/desk/desk.js") == 0) {
        asset(&c, xa_desk_js, xa_desk_js_len, "text/javascript; charset=utf-8");
        return;
    }
    security_headers(&c);
    if (strcmp(path, "/desk") == 0) {
        redirect(&c, "/desk/");
        return;
    }
    if (strcmp(path, "/desk/lang") == 0) {
        const char *to = arg(&c, "to");
        c.en = to && strcmp(to, "en") == 0;
        cookie(&c, "xa_lang", c.en ? "en" : "vi", 365 * 24 * 3600, 0);
        redirect(&c, "/desk/");
        return;
    }
    if (post)
        form_parse(&c);
    if (strcmp(path, "/desk/login") == 0) {
        if (post)
            do_login(&c);
        else if (arg(&c, "expired"))
            login_page(&c, 200, "Phiên làm việc đã hết hạn; hãy đăng nhập lại.",
                       "Your session has expired; log in again.", "");
        else
            login_page(&c, 200, NULL, NULL, "");
        goto out;
    }
    /* Everything else needs a session. */
    if (xa_desk_session(st, q->session, now_ms(), &c.u, c.csrf) < 0) {
        if (post) {
            error_page(&c, 403, "Phiên làm việc đã hết; hãy đăng nhập lại.",
                       "The session has ended; log in again.");
        } else {
            if (q->session && q->session[0])
                cookie(&c, "xa_desk", "", 0, 1);
            redirect(&c, q->session && q->session[0] ? "/desk/login?expired=1" : "/desk/login");
        }
        goto out;
    }
    if (post && (!same_site(&c) || !xa_desk_csrf_ok(c.csrf, field(&c, "csrf")))) {
        error_page(&c, 403,
                   "Yêu cầu không mang mã chống giả mạo (CSRF) đúng; không có gì thay đổi.",
                   "The request lacks the right CSRF token; nothing was changed.");
        goto out;
    }
    if (post && strcmp(path, "/desk/logout") == 0) {
        xa_desk_logout(st, q->session);
        cookie(&c, "xa_desk", "", 0, 1);
        redirect(&c, "/desk/login");
    } else if (post && strcmp(path, "/desk/decide") == 0) {
        do_decide(&c);
    } else if (post && strcmp(path, "/desk/deadline") == 0) {
        do_deadline(&c);
    } else if (post && strcmp(path, "/desk/resolve") == 0) {
        do_resolve(&c);
    } else if (post) {
        error_page(&c, 404, "Không có trang này.", "No such page.");
    } else if (strcmp(path, "/desk/") == 0) {
        page_completeness(&c);
    } else if (strcmp(path, "/desk/report") == 0) {
        page_report(&c, NULL, NULL, 0);
    } else if (strcmp(path, "/desk/print") == 0) {
        page_print(&c);
    } else if (strcmp(path, "/desk/report.docx") == 0) {
        download_report(&c);
    } else if (strcmp(path, "/desk/rollup") == 0) {
        page_rollup(&c);
    } else if (strcmp(path, "/desk/rollup.csv") == 0) {
        do_download(&c, "csv");
    } else if (strcmp(path, "/desk/rollup.xlsx") == 0) {
        do_download(&c, "xlsx");
    } else if (strcmp(path, "/desk/rollup.docx") == 0) {
        do_download(&c, "docx");
    } else if (strcmp(path, "/desk/conflicts") == 0) {
        page_conflicts(&c, NULL, NULL, 200);
    } else {
        error_page(&c, 404, "Không có trang này.", "No such page.");
    }
out:
    for (size_t i = 0; i < c.nf; i++) {
        free(c.fk[i]);
        free(c.fv[i]);
    }
}
