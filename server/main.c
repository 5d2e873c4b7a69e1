/*
 * xasync-district: the district server's command.
 *
 *   init                                create the district database
 *   commune add SCOPE --name NAME       register a commune; print its token once
 *   token add --district NAME           a district-wide (read-only) token
 *   token revoke SCOPE | --district NAME  remove a commune's (a district's) tokens
 *   token rotate SCOPE                  a new token for a commune, the old one revoked
 *   serve --listen HOST:PORT [...]      serve the sync endpoint and the reads
 *   communes [--json]                   every commune, last sync, ops, conflicts
 *   show SCOPE [--json]                 the latest state of a commune's fields
 *
 * Same conventions as `xasync`: --db anywhere (else $XASYNC_DISTRICT_DB,
 * else ~/.local/share/xasync/district.db), one-line errors, exit 0 done,
 * 1 error, 2 wrong usage.
 */
#include "desk.h"
#include "district.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/view.h"
#include "xasync/vnum.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXPOS 4

typedef struct cli {
    const char *db;
    char dbbuf[4096];
    const char *pos[MAXPOS];
    int npos, json, help;
    const char *name, *district, *listen, *tls_cert, *tls_key;
    const char *max_body, *max_conns, *timeout, *threads;
    const char *max_per_addr, *header_timeout, *body_timeout;
    const char *report, *format, *report_kind, *period;
    const char *output; /* --output FILE or -o FILE: show --report, rollup */
} cli;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    fflush(stdout);
    fprintf(stderr, "xasync-district: %s\n", msg);
    return code;
}

static const char usage[] =
    "usage: xasync-district [--db PATH] COMMAND [ARGS...]\n\n"
    "The district server of xasync: receives every commune's edits and answers the\n"
    "district's questions.\n\n"
    "Commands:\n"
    "  init                             create the district database\n"
    "  commune add SCOPE --name NAME    register a commune; prints its token once\n"
    "  token add --district NAME        a district-wide token (reads every commune)\n"
    "  token revoke SCOPE               the commune's tokens stop working at once\n"
    "  token revoke --district NAME     the same for a district-wide token\n"
    "  token rotate SCOPE               a new token for the commune (printed once);\n"
    "                                   the old one stops working at once\n"
    "  serve --listen HOST:PORT         serve (port 0: the OS picks; the port is printed)\n"
    "        [--tls-cert FILE --tls-key FILE] [--max-body BYTES]\n"
    "        [--max-connections N] [--max-per-address N] [--timeout SECONDS]\n"
    "        [--header-timeout SECONDS] [--body-timeout SECONDS] [--threads N]\n"
    "  communes [--json]                every commune: last sync, ops held, open conflicts\n"
    "  show SCOPE [--json]              the latest state of a commune's fields\n"
    "  show SCOPE --report ID [--format text|html|json|docx] [-o FILE]\n"
    "                                   a commune's latest report, printed\n"
    "  rollup --report-kind KIND --period PERIOD [--json]\n"
    "                                   each indicator summed across communes, and the\n"
    "                                   communes that have not reported (by TT; old)\n"
    "        [--format html|docx -o FILE]  the same printed as a report\n"
    "  form add FILE [--new-kind]       a form (biểu mẫu): to every commune with its next sync\n"
    "  form add --from-report FILE [--id ID]   a form made from a report's table\n"
    "  form list | form show ID [--json]\n"
    "  accept SCOPE ID                  accept the report as the commune sent it\n"
    "  return SCOPE ID --reason TEXT    send it back to the commune, with the reason\n"
    "  rollup --form ID --period P [--format text|json|csv|html] [--by-commune]\n"
    "         [--include-drafts]        each indicator of the form, by its aggregation, in\n"
    "                                   its unit; every figure left out named, and why\n"
    "  check SCOPE [ID] [--json]        the report checks on the district's copy\n"
    "  user add NAME --role officer|admin [--password-file FILE]\n"
    "                                   a person of the district desk (/desk/); the\n"
    "                                   password is typed without echo, or read from FILE\n"
    "  user list [--json] | user disable NAME\n"
    "  deadline set FORM PERIOD YYYY-MM-DD  sent after that day is late (desk)\n\n"
    "The database is --db PATH, else $XASYNC_DISTRICT_DB, else\n"
    "~/.local/share/xasync/district.db.  Exit codes: 0 done, 1 error, 2 wrong usage.\n";

static int parse(int argc, char **argv, cli *c)
{
    static const struct {
        const char *name;
        size_t off;
    } valued[] = {
        {"--db", offsetof(cli, db)},
        {"--name", offsetof(cli, name)},
        {"--district", offsetof(cli, district)},
        {"--listen", offsetof(cli, listen)},
        {"--tls-cert", offsetof(cli, tls_cert)},
        {"--tls-key", offsetof(cli, tls_key)},
        {"--max-body", offsetof(cli, max_body)},
        {"--max-connections", offsetof(cli, max_conns)},
        {"--timeout", offsetof(cli, timeout)},
        {"--threads", offsetof(cli, threads)},
        {"--max-per-address", offsetof(cli, max_per_addr)},
        {"--header-timeout", offsetof(cli, header_timeout)},
        {"--body-timeout", offsetof(cli, body_timeout)},
        {"--report-kind", offsetof(cli, report_kind)},
        {"--report", offsetof(cli, report)},
        {"--format", offsetof(cli, format)},
        {"--period", offsetof(cli, period)},
        {"--output", offsetof(cli, output)},
    };
    int end = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t k;

        if (!end && strcmp(a, "--") == 0) {
            end = 1;
            continue;
        }
        if (!end && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            c->help = 1;
            continue;
        }
        if (!end && strcmp(a, "--json") == 0) {
            c->json = 1;
            continue;
        }
        if (!end && strcmp(a, "-o") == 0)
            a = "--output"; /* -o FILE is --output FILE */
        if (!end && strncmp(a, "--", 2) == 0) {
            for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
                size_t n = strlen(valued[k].name);
                if (strncmp(a, valued[k].name, n) == 0 && (a[n] == '\0' || a[n] == '='))
                    break;
            }
            if (k == sizeof(valued) / sizeof(valued[0]))
                return fail(2, "unknown option '%s'; see `xasync-district --help`", a);
            const char *v = strchr(a, '=');
            if (v)
                v++;
            else if (i + 1 < argc)
                v = argv[++i];
            else
                return fail(2, "option %s needs a value", valued[k].name);
            *(const char **)((char *)c + valued[k].off) = v;
            continue;
        }
        if (c->npos >= MAXPOS)
            return fail(2, "too many arguments; see `xasync-district --help`");
        c->pos[c->npos++] = a;
    }
    return 0;
}

static int default_db(cli *c)
{
    const char *env = getenv("XASYNC_DISTRICT_DB"), *home = getenv("HOME");

    if (c->db)
        return 0;
    if (env && *env) {
        c->db = env;
        return 0;
    }
    if (home == NULL || *home == '\0') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (home == NULL ||
        (size_t)snprintf(c->dbbuf, sizeof(c->dbbuf), "%s/.local/share/xasync/district.db", home) >=
            sizeof(c->dbbuf))
        return fail(1, "cannot find the home folder; give --db PATH");
    c->db = c->dbbuf;
    return 0;
}

static int open_db(cli *c, xa_store **st)
{
    int rc = xa_store_open(st, c->db);

    if (rc == XA_ENOTFOUND)
        return fail(1, "no district database at %s; create one with `xasync-district init`", c->db);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (xa_store_scope(*st)[0] != '\0') {
        xa_store_close(*st);
        return fail(1, "%s is a commune PC's database, not the district's", c->db);
    }
    return 0;
}

static int parse_num(const char *s,
                     const char *what,
                     unsigned long long lo,
                     unsigned long long hi,
                     unsigned long long *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return fail(2, "%s must be a number from %llu to %llu", what, lo, hi);
    *out = v;
    return 0;
}

static int make_parent(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);

    if (n >= sizeof(dir))
        return -1;
    memcpy(dir, path, n + 1);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int cmd_init(cli *c)
{
    xa_store *st = NULL;
    char node[XA_NODE_HEX + 1];
    int rc;

    if (make_parent(c->db) != 0)
        return fail(1, "cannot create the folder of %s", c->db);
    rc = xa_store_create(&st, c->db, NULL);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    xa_node_format(xa_store_node(st), node);
    printf("created district database %s (node %s)\n", c->db, node);
    xa_store_close(st);
    return 0;
}

static int cmd_commune_add(cli *c)
{
    xa_store *st = NULL;
    char token[65];
    uint8_t hash[XA_TOKEN_HASH];
    int rc;

    if (c->npos != 3 || c->name == NULL)
        return fail(2, "usage: xasync-district commune add SCOPE --name NAME");
    if (open_db(c, &st) != 0)
        return 1;
    if (strcmp(c->pos[2], XA_FORMS_SCOPE) == 0) {
        xa_store_close(st);
        return fail(1, "%s is the district's own scope for its forms; choose another", c->pos[2]);
    }
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = xa_district_commune_add(st, c->pos[2], c->name);
    if (rc == 0) /* the district's forms reach the new commune with its first sync */
        rc = xa_forms_push(st, c->pos[2], "district");
    if (rc == 0)
        rc = xa_token_new(token, hash);
    if (rc == 0)
        rc = xa_district_token_add(st, hash, c->pos[2], c->name);
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0) {
        xa_store_rollback(st);
        xa_store_close(st);
        return fail(1, "%s", xa_error_last());
    }
    xa_store_close(st);
    fprintf(stderr,
            "commune %s (%s) added.  Its token, shown only this once, is on the next line:\n"
            "give it to the commune's PC (`xasync remote set URL --token-file FILE`).\n",
            c->pos[2], c->name);
    printf("%s\n", token);
    return 0;
}

static int cmd_token_add(cli *c)
{
    xa_store *st = NULL;
    char token[65];
    uint8_t hash[XA_TOKEN_HASH];
    int rc;

    if (c->npos != 2 || c->district == NULL || c->district[0] == '\0')
        return fail(2, "usage: xasync-district token add --district NAME");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_token_new(token, hash);
    if (rc == 0)
        rc = xa_district_token_add(st, hash, NULL, c->district);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    fprintf(stderr, "district token for %s, shown only this once, on the next line:\n",
            c->district);
    printf("%s\n", token);
    return 0;
}

/* token revoke SCOPE | token revoke --district NAME | token rotate SCOPE */
static int cmd_token_revoke(cli *c, int rotate)
{
    xa_store *st = NULL;
    char token[65];
    uint8_t hash[XA_TOKEN_HASH];
    const char *scope = c->npos == 3 ? c->pos[2] : NULL;
    int rc, n = 0;

    if (rotate
            ? (c->npos != 3 || c->district)
            : !((c->npos == 3 && !c->district) || (c->npos == 2 && c->district && c->district[0])))
        return fail(2, rotate ? "usage: xasync-district token rotate SCOPE"
                              : "usage: xasync-district token revoke SCOPE | token revoke "
                                "--district NAME");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = n = xa_district_token_revoke(st, scope, c->district);
    if (rc >= 0 && rotate)
        rc = xa_token_new(token, hash);
    if (rc >= 0 && rotate)
        rc = xa_district_token_add(st, hash, scope, scope);
    if (rc >= 0)
        rc = xa_store_commit(st);
    if (rc < 0) {
        xa_store_rollback(st);
        xa_store_close(st);
        return fail(1, "%s", xa_error_last());
    }
    xa_store_close(st);
    if (!rotate) {
        if (n == 0)
            return fail(1, "không có token nào để thu hồi / no token to revoke for %s",
                        scope ? scope : c->district);
        fprintf(stderr,
                "đã thu hồi %d token của %s; máy nào dùng token cũ sẽ bị từ chối ngay.\n"
                "revoked %d token(s) of %s; a PC using one is refused from now on.\n",
                n, scope ? scope : c->district, n, scope ? scope : c->district);
        return 0;
    }
    fprintf(stderr,
            "token mới của xã %s (chỉ hiện một lần) ở dòng sau; token cũ đã hết hiệu lực.\n"
            "Thay nội dung tệp token trên mỗi máy của xã (tệp của `xasync remote set "
            "--token-file`).\n"
            "new token of %s, shown only this once, on the next line; the old one no longer "
            "works.\nReplace the content of the token file on each of the commune's PCs.\n",
            scope, scope);
    printf("%s\n", token);
    return 0;
}

static int cmd_serve(cli *c)
{
    xa_serve_opts o;
    xa_store *st = NULL;
    unsigned long long v;
    int rc;

    xa_serve_opts_default(&o);
    if (c->npos != 1 || c->listen == NULL)
        return fail(2, "usage: xasync-district serve --listen HOST:PORT [options]");
    o.listen = c->listen;
    o.tls_cert = c->tls_cert;
    o.tls_key = c->tls_key;
    if (c->max_body) {
        if (parse_num(c->max_body, "--max-body", 1024, 1ULL << 30, &v))
            return 2;
        o.max_body = (size_t)v;
    }
    if (c->max_conns) {
        if (parse_num(c->max_conns, "--max-connections", 1, 100000, &v))
            return 2;
        o.max_conns = (unsigned)v;
    }
    if (c->timeout) {
        if (parse_num(c->timeout, "--timeout", 1, 3600, &v))
            return 2;
        o.timeout_s = (unsigned)v;
    }
    if (c->threads) {
        if (parse_num(c->threads, "--threads", 1, 64, &v))
            return 2;
        o.threads = (unsigned)v;
    }
    if (c->max_per_addr) {
        if (parse_num(c->max_per_addr, "--max-per-address", 1, 100000, &v))
            return 2;
        o.max_per_addr = (unsigned)v;
    }
    if (c->header_timeout) {
        if (parse_num(c->header_timeout, "--header-timeout", 1, 3600, &v))
            return 2;
        o.header_timeout_s = (unsigned)v;
    }
    if (c->body_timeout) {
        if (parse_num(c->body_timeout, "--body-timeout", 1, 3600, &v))
            return 2;
        o.body_timeout_s = (unsigned)v;
    }
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_serve(st, &o);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    return 0;
}

static void local_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms == 0 || localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, cap, "never");
}

static int cmd_communes(cli *c)
{
    xa_store *st = NULL;
    xa_commune *v = NULL;
    size_t n = 0;
    int rc;

    if (c->npos != 1)
        return fail(2, "usage: xasync-district communes [--json]");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_district_communes(st, &v, &n);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (c->json) {
        char *s = xa_communes_json(v, n, 1);
        puts(s ? s : "[]");
        free(s);
    }
    for (size_t i = 0; !c->json && i < n; i++) {
        char t[48];
        local_time(v[i].last_sync, t, sizeof(t));
        printf("%s\t%s\tlast sync %s\t%llu ops\t%llu conflicts\n", v[i].scope, v[i].name, t,
               (unsigned long long)v[i].ops, (unsigned long long)v[i].conflicts);
    }
    if (!c->json && n == 0)
        puts("no communes yet; add one with `xasync-district commune add SCOPE --name NAME`");
    free(v);
    return 0;
}

/* A report printed in format f (text, html, json or docx) to standard
 * output or to -o FILE (written whole or not at all).  A .docx is not
 * written to a terminal. */
static int emit_report(const cli *c, const xa_report *r, int f)
{
    unsigned char *bin = NULL;
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (f == XA_REPORT_DOCX && c->output == NULL && isatty(STDOUT_FILENO))
        return fail(2, "--format docx writes a Word file: name it with -o FILE"
                       " / hãy đặt tên tệp bằng -o TỆP");
    if (f == XA_REPORT_DOCX) {
        rc = xa_report_docx(r, &bin, &len);
    } else {
        rc = xa_report_render(r, f, &out);
        bin = (unsigned char *)out;
        len = rc == 0 ? strlen(out) : 0;
    }
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (c->output)
        rc = xa_write_file(c->output, bin, len);
    else if (fwrite(bin, 1, len, stdout) != len)
        rc = xa_error_set(XA_EIO, "cannot write to standard output");
    free(bin);
    return rc < 0 ? fail(1, "%s", xa_error_last()) : 0;
}

static int report_format(const cli *c, int *f)
{
    const char *fmt = c->format ? c->format : (c->json ? "json" : "text");

    *f = strcmp(fmt, "text") == 0   ? XA_REPORT_TEXT
         : strcmp(fmt, "html") == 0 ? XA_REPORT_HTML
         : strcmp(fmt, "json") == 0 ? XA_REPORT_JSON
         : strcmp(fmt, "docx") == 0 ? XA_REPORT_DOCX
                                    : 0;
    return *f ? 0 : fail(2, "--format wants text, html, json or docx");
}

static int show_report(cli *c, xa_store *st)
{
    xa_report r;
    int f, rc;

    if (report_format(c, &f) != 0) {
        xa_store_close(st);
        return 2;
    }
    rc = xa_report_load(st, c->pos[1], c->report, &r);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    rc = emit_report(c, &r, f);
    xa_report_free(&r);
    return rc;
}

static void put_sum(int64_t units, int scale, size_t n, char *buf, size_t cap)
{
    xa_vnum v = {units, scale, 0};

    if (n == 0 || xa_vnum_format(&v, buf, cap) < 0)
        snprintf(buf, cap, "-");
}

static int cmd_rollup(cli *c)
{
    xa_store *st = NULL;
    xa_commune *v = NULL;
    xa_rollup r;
    const char **scopes = NULL;
    size_t n = 0;
    int rc;

    if (c->npos != 1 || c->report_kind == NULL || c->period == NULL)
        return fail(2, "usage: xasync-district rollup --report-kind KIND --period PERIOD [--json]");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_district_communes(st, &v, &n);
    if (rc == 0 && (scopes = calloc(n + 1, sizeof(*scopes))) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++)
        scopes[i] = v[i].scope;
    if (rc == 0)
        rc = xa_report_rollup(st, scopes, n, c->report_kind, c->period, &r);
    xa_store_close(st);
    free(scopes);
    free(v);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (c->format) {
        /* printed as a report: --format text|html|json|docx [-o FILE] */
        xa_report doc;
        int f;

        if (report_format(c, &f) != 0) {
            xa_rollup_free(&r);
            return 2;
        }
        rc = xa_rollup_report(&r, c->report_kind, c->period, &doc);
        xa_rollup_free(&r);
        if (rc < 0)
            return fail(1, "%s", xa_error_last());
        rc = emit_report(c, &doc, f);
        xa_report_free(&doc);
        return rc;
    }
    if (c->json) {
        cJSON *o = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(o, "rows");
        cJSON *rep = cJSON_AddArrayToObject(o, "reported"),
              *mis = cJSON_AddArrayToObject(o, "missing");
        cJSON_AddStringToObject(o, "kind", c->report_kind);
        cJSON_AddStringToObject(o, "period", c->period);
        for (size_t i = 0; i < r.nrows; i++) {
            const xa_rollup_row *w = &r.rows[i];
            cJSON *x = cJSON_CreateObject();
            char a[48];
            cJSON_AddStringToObject(x, "tt", w->tt);
            cJSON_AddStringToObject(x, "name", w->name);
            cJSON_AddStringToObject(x, "unit", w->unit);
            cJSON_AddBoolToObject(x, "additive", w->additive);
            if (w->additive) {
                put_sum(w->prev_u, w->scale, w->nprev, a, sizeof(a));
                cJSON_AddStringToObject(x, "prev", a);
                put_sum(w->plan_u, w->scale, w->nplan, a, sizeof(a));
                cJSON_AddStringToObject(x, "plan", a);
                put_sum(w->est_u, w->scale, w->nest, a, sizeof(a));
                cJSON_AddStringToObject(x, "est", a);
            }
            cJSON_AddNumberToObject(x, "communes_with_est", (double)w->nest);
            cJSON_AddItemToArray(rows, x);
        }
        for (size_t i = 0; i < r.nreported; i++)
            cJSON_AddItemToArray(rep, cJSON_CreateString(r.reported[i]));
        for (size_t i = 0; i < r.nmissing; i++)
            cJSON_AddItemToArray(mis, cJSON_CreateString(r.missing[i]));
        char *s = cJSON_Print(o);
        puts(s ? s : "{}");
        free(s);
        cJSON_Delete(o);
    } else {
        printf("Tổng hợp / rollup: %s %s, %zu xã đã báo cáo / communes reported\n", c->report_kind,
               c->period, r.nreported);
        printf("TT\tChỉ tiêu\tĐVT\tKQ cùng kỳ\tKH\tƯớc thực hiện\tSố xã / communes\n");
        for (size_t i = 0; i < r.nrows; i++) {
            const xa_rollup_row *w = &r.rows[i];
            char a[48], b[48], e[48];
            if (w->additive) {
                put_sum(w->prev_u, w->scale, w->nprev, a, sizeof(a));
                put_sum(w->plan_u, w->scale, w->nplan, b, sizeof(b));
                put_sum(w->est_u, w->scale, w->nest, e, sizeof(e));
            } else {
                snprintf(a, sizeof(a), "(không cộng / not added)");
                b[0] = e[0] = '\0';
            }
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%zu\n", w->tt, w->name, w->unit, a, b, e, w->nest);
        }
        printf("Chưa báo cáo / not reported (%zu):", r.nmissing);
        for (size_t i = 0; i < r.nmissing; i++)
            printf(" %s", r.missing[i]);
        printf("%s\n", r.nmissing ? "" : " -");
    }
    xa_rollup_free(&r);
    return 0;
}

static int cmd_show(cli *c)
{
    xa_store *st = NULL;
    xa_field *f = NULL;
    xa_commune cm;
    size_t n = 0;
    int rc;

    if (c->npos != 2)
        return fail(2, "usage: xasync-district show SCOPE [--json] [--report ID [--format F]]");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_district_commune_get(st, c->pos[1], &cm);
    if (rc == 0 && c->report)
        return show_report(c, st);
    if (rc == 0)
        rc = xa_store_fields(st, c->pos[1], NULL, 0, &f, &n);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (c->json) {
        char *s = xa_view_fields(f, n, 1);
        puts(s ? s : "[]");
        free(s);
    }
    for (size_t i = 0; !c->json && i < n; i++) {
        printf("%s\t%s\t", f[i].entity, f[i].field);
        for (size_t k = 0; k < f[i].n; k++) {
            char *t = xa_view_oneline(f[i].v[k].value);
            printf("%s%s", k ? " | " : "", t ? t : "");
            free(t);
        }
        if (f[i].n > 1)
            printf("\t[conflict: %zu values]", f[i].n);
        putchar('\n');
    }
    xa_fields_free(f, n);
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    const char *cmd;

    int handled = xa_desk_cmd(argc, argv); /* desk_cmd.c: user, deadline */
    if (handled >= 0)
        return handled;
    handled = xa_district_report_cmd(argc, argv); /* forms.c */
    if (handled >= 0)
        return handled;
    memset(&c, 0, sizeof(c));
    if (parse(argc, argv, &c) != 0)
        return 2;
    if (c.npos == 0) {
        if (c.help) {
            fputs(usage, stdout);
            return 0;
        }
        return fail(2, "usage: xasync-district [--db PATH] COMMAND; see `xasync-district --help`");
    }
    if (c.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (default_db(&c) != 0)
        return 1;
    cmd = c.pos[0];
    if (strcmp(cmd, "init") == 0 && c.npos == 1)
        return cmd_init(&c);
    if (strcmp(cmd, "commune") == 0 && c.npos >= 2 && strcmp(c.pos[1], "add") == 0)
        return cmd_commune_add(&c);
    if (strcmp(cmd, "token") == 0 && c.npos >= 2 && strcmp(c.pos[1], "add") == 0)
        return cmd_token_add(&c);
    if (strcmp(cmd, "token") == 0 && c.npos >= 2 && strcmp(c.pos[1], "revoke") == 0)
        return cmd_token_revoke(&c, 0);
    if (strcmp(cmd, "token") == 0 && c.npos >= 2 && strcmp(c.pos[1], "rotate") == 0)
        return cmd_token_revoke(&c, 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&c);
    if (strcmp(cmd, "communes") == 0)
        return cmd_communes(&c);
    if (strcmp(cmd, "show") == 0)
        return cmd_show(&c);
    if (strcmp(cmd, "rollup") == 0)
        return cmd_rollup(&c);
    return fail(2, "unknown command '%s'; see `xasync-district --help`", cmd);
}
