/*
 * The district's commands about forms and reports (form.h):
 *
 *   form add FILE [--new-kind]            a form, to every commune with its next sync
 *   form add --from-report FILE [--id ID] a form made from a report's table
 *   form list | form show ID [--json]
 *   accept SCOPE ID                       the report as sent is accepted
 *   return SCOPE ID --reason TEXT         sent back to the commune, with why
 *   rollup --form ID --period P [--format text|json|csv|html] [--by-commune]
 *          [--include-drafts]
 *   check SCOPE [ID]                      `report check` on the district's copy
 *
 * Each writes through the store, into the commune's scope (which reaches
 * its PCs with the next sync) and, for forms, into the district's own
 * XA_FORMS_SCOPE; everything in one transaction, nothing on an error.
 */
#include "district.h"
#include "xasync/district.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXPOS 6
#define MAX_FILE (16 * 1024 * 1024)

typedef struct dcli {
    const char *db;
    char dbbuf[4096];
    const char *pos[MAXPOS];
    int npos, json, by_commune, include_drafts, new_kind;
    const char *format, *period, *form, *reason, *author, *from_report, *id, *report;
} dcli;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
    char msg[2048];
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

static const struct {
    const char *name;
    size_t off;
} valued[] = {
    {"--db", offsetof(dcli, db)},
    {"--format", offsetof(dcli, format)},
    {"--period", offsetof(dcli, period)},
    {"--form", offsetof(dcli, form)},
    {"--reason", offsetof(dcli, reason)},
    {"--author", offsetof(dcli, author)},
    {"--from-report", offsetof(dcli, from_report)},
    {"--id", offsetof(dcli, id)},
    {"--report", offsetof(dcli, report)},
};

/* Options of the other commands that take a value (to find the command). */
static const char *const other_valued[] = {
    "--name",           "--district",        "--listen",      "--tls-cert", "--tls-key",
    "--max-body",       "--max-connections", "--timeout",     "--threads",  "--max-per-address",
    "--header-timeout", "--body-timeout",    "--report-kind", NULL};

static int takes_value(const char *a)
{
    for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
        if (strcmp(a, valued[k].name) == 0)
            return 1;
    for (size_t k = 0; other_valued[k]; k++)
        if (strcmp(a, other_valued[k]) == 0)
            return 1;
    return 0;
}

static int parse(int argc, char **argv, dcli *c)
{
    int end = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!end && strcmp(a, "--") == 0) {
            end = 1;
            continue;
        }
        if (!end && strncmp(a, "--", 2) == 0) {
            static const struct {
                const char *name;
                size_t off;
            } flags[] = {
                {"--json", offsetof(dcli, json)},
                {"--by-commune", offsetof(dcli, by_commune)},
                {"--include-drafts", offsetof(dcli, include_drafts)},
                {"--new-kind", offsetof(dcli, new_kind)},
            };
            size_t k;
            for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
                if (strcmp(a, flags[k].name) == 0)
                    break;
            if (k < sizeof(flags) / sizeof(flags[0])) {
                *(int *)((char *)c + flags[k].off) = 1;
                continue;
            }
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

static int open_db(dcli *c, xa_store **st)
{
    const char *env = getenv("XASYNC_DISTRICT_DB"), *home = getenv("HOME");
    int rc;

    if (c->db == NULL && env && *env)
        c->db = env;
    if (c->db == NULL) {
        if (home == NULL || *home == '\0') {
            struct passwd *pw = getpwuid(geteuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (home == NULL)
            return fail(1, "cannot find the home folder; give --db PATH");
        snprintf(c->dbbuf, sizeof(c->dbbuf), "%s/.local/share/xasync/district.db", home);
        c->db = c->dbbuf;
    }
    rc = xa_store_open(st, c->db);
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

static const char *author(const dcli *c)
{
    const char *a = c->author;
    struct passwd *pw;

    if (a == NULL || *a == '\0')
        a = getenv("XASYNC_AUTHOR");
    if ((a == NULL || *a == '\0') && (pw = getpwuid(geteuid())) != NULL)
        a = pw->pw_name;
    return a && *a ? a : "district";
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        fail(1, "cannot read %s", path);
        return NULL;
    }
    for (;;) {
        if (n + 65536 + 1 > cap) {
            char *nb = realloc(buf, cap = n + 65536 + 1);
            if (nb == NULL)
                break;
            buf = nb;
        }
        size_t k = fread(buf + n, 1, 65536, f);
        n += k;
        if (k == 0 || n > MAX_FILE)
            break;
    }
    if (f != stdin)
        fclose(f);
    if (buf == NULL || n > MAX_FILE) {
        free(buf);
        fail(1, "%s: too large or unreadable", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Write a form into the district's scope and every commune's, in one go. */
static int put_everywhere(xa_store *st, const xa_form *f, const char *who, size_t *ncommunes)
{
    xa_commune *cm = NULL;
    size_t n = 0;
    int rc = xa_district_communes(st, &cm, &n);

    if (rc == 0)
        rc = xa_store_begin(st);
    if (rc == 0)
        rc = xa_form_put(st, XA_FORMS_SCOPE, f, who);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = xa_form_put(st, cm[i].scope, f, who);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    free(cm);
    *ncommunes = n;
    return rc;
}

/* A report file made into a form: imported into a scratch database. */
static int form_from_report(dcli *c, char **json)
{
    char dir[] = "/tmp/xasync-form-XXXXXX", path[64];
    xa_store *tmp = NULL;
    xa_import_result res;
    xa_report r;
    size_t len = 0;
    char *text = read_file(c->from_report, &len);
    int rc;

    if (text == NULL)
        return XA_EIO;
    if (mkdtemp(dir) == NULL) {
        free(text);
        return xa_error_set(XA_EIO, "cannot make a scratch folder");
    }
    snprintf(path, sizeof(path), "%s/r.db", dir);
    rc = xa_store_create(&tmp, path, "scratch");
    if (rc == 0)
        rc = xa_report_import(tmp, "scratch", "r", NULL, NULL, text, len, "district", &res);
    if (rc == 0) {
        xa_import_result_free(&res);
        rc = xa_report_load(tmp, "scratch", "r", &r);
    }
    if (rc == 0) {
        const char *kind = "so-ket-6-thang";
        char id[128];
        rc = xa_form_from_report(&r, c->id ? c->id : kind, json);
        (void)id;
        xa_report_free(&r);
    }
    xa_store_close(tmp);
    free(text);
    char side[96];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-node", path);
    unlink(side);
    rmdir(dir);
    return rc;
}

static int cmd_form(dcli *c)
{
    xa_store *st = NULL;
    const char *sub = c->npos > 1 ? c->pos[1] : "";
    int rc;

    if (strcmp(sub, "add") == 0) {
        char *json = NULL;
        size_t len = 0, n = 0;
        xa_form f;
        if (!((c->from_report && c->npos == 2) || (!c->from_report && c->npos == 3)))
            return fail(2, "usage: xasync-district form add FILE [--new-kind] | form add "
                           "--from-report FILE [--id ID]");
        if (c->from_report) {
            if ((rc = form_from_report(c, &json)) < 0)
                return rc == XA_EIO && json == NULL && xa_error_last()[0] == '\0'
                           ? 1
                           : fail(1, "%s: %s", c->from_report, xa_error_last());
            len = strlen(json);
        } else if ((json = read_file(c->pos[2], &len)) == NULL) {
            return 1;
        }
        rc = xa_form_parse(json, len, c->new_kind, &f);
        free(json);
        if (rc < 0)
            return fail(1, "%s: %s", c->from_report ? c->from_report : c->pos[2], xa_error_last());
        if (open_db(c, &st) != 0) {
            xa_form_free(&f);
            return 1;
        }
        rc = put_everywhere(st, &f, author(c), &n);
        xa_store_close(st);
        if (rc < 0) {
            xa_form_free(&f);
            return fail(1, "%s", xa_error_last());
        }
        printf("form %s: %zu indicators, kind %s, period type %s; sent to %zu communes with "
               "their next sync\n",
               f.id, f.n, f.kind, f.period_type, n);
        xa_form_free(&f);
        return 0;
    }
    if (strcmp(sub, "list") == 0 && c->npos == 2) {
        char **ids = NULL;
        size_t n = 0;
        if (open_db(c, &st) != 0)
            return 1;
        rc = xa_form_list(st, XA_FORMS_SCOPE, &ids, &n);
        cJSON *a = c->json ? cJSON_CreateArray() : NULL;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            xa_form f;
            if (xa_form_get(st, XA_FORMS_SCOPE, ids[i], &f) < 0)
                continue;
            if (a) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id", f.id);
                cJSON_AddStringToObject(o, "kind", f.kind);
                cJSON_AddStringToObject(o, "period_type", f.period_type);
                cJSON_AddStringToObject(o, "title", f.title);
                cJSON_AddNumberToObject(o, "indicators", (double)f.n);
                cJSON_AddItemToArray(a, o);
            } else {
                printf("%s\t%s\t%s\t%zu chỉ tiêu / indicators\t%s\n", f.id, f.kind, f.period_type,
                       f.n, f.title);
            }
            xa_form_free(&f);
        }
        if (a) {
            char *s = cJSON_Print(a);
            puts(s ? s : "[]");
            free(s);
            cJSON_Delete(a);
        } else if (rc == 0 && n == 0) {
            puts("no forms yet; add one with `xasync-district form add FILE`");
        }
        xa_report_list_free(ids, n);
        xa_store_close(st);
        return rc < 0 ? fail(1, "%s", xa_error_last()) : 0;
    }
    if (strcmp(sub, "show") == 0 && c->npos == 3) {
        xa_form f;
        if (open_db(c, &st) != 0)
            return 1;
        rc = xa_form_get(st, XA_FORMS_SCOPE, c->pos[2], &f);
        xa_store_close(st);
        if (rc < 0)
            return fail(1, "%s", xa_error_last());
        if (c->json) {
            cJSON *o = cJSON_Parse(f.json);
            char *s = o ? cJSON_Print(o) : NULL;
            puts(s ? s : f.json);
            free(s);
            cJSON_Delete(o);
        } else {
            printf("%s — %s\nkind %s, period type %s\n", f.id, f.title, f.kind, f.period_type);
            printf("Mã\tTT\tChỉ tiêu\tĐVT\tTổng hợp / aggregation\n");
            for (size_t i = 0; i < f.n; i++) {
                const xa_indicator *d = &f.ind[i];
                static const char *const aggs[] = {"", "sum", "mean", "ratio", "none"};
                printf("%s\t%s\t%s\t%s\t%s%s%s%s%s%s\n", d->code, d->tt, d->name, d->unit,
                       aggs[d->agg], d->agg == XA_AGG_RATIO ? " " : "",
                       d->agg == XA_AGG_RATIO ? d->num : "", d->agg == XA_AGG_RATIO ? "/" : "",
                       d->agg == XA_AGG_RATIO ? d->den : "",
                       d->year_end ? "\t(cuối năm / year end)" : "");
            }
        }
        xa_form_free(&f);
        return 0;
    }
    return fail(2, "usage: xasync-district form add FILE | form add --from-report FILE | form "
                   "list | form show ID [--json]");
}

static int cmd_decide(dcli *c, int accept)
{
    xa_store *st = NULL;
    xa_commune cm;
    int rc;

    if (c->npos != 3 || (!accept && (c->reason == NULL || c->reason[0] == '\0')))
        return fail(2, accept ? "usage: xasync-district accept SCOPE ID"
                              : "usage: xasync-district return SCOPE ID --reason TEXT");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_district_commune_get(st, c->pos[1], &cm);
    if (rc == 0)
        rc = xa_report_decide(st, c->pos[1], c->pos[2], accept ? "accepted" : "returned", c->reason,
                              author(c));
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    printf(accept ? "đã tiếp nhận / accepted: %s %s (reaches the commune with its next sync)\n"
                  : "đã trả lại / returned: %s %s (reaches the commune with its next sync)\n",
           c->pos[1], c->pos[2]);
    return 0;
}

static int cmd_rollup(dcli *c)
{
    xa_store *st = NULL;
    xa_rollup2_opts o = {c->form, c->period, c->include_drafts};
    const char *fmt = c->format ? c->format : c->json ? "json" : "text";
    int f = strcmp(fmt, "text") == 0   ? XA_ROLLUP_TEXT
            : strcmp(fmt, "json") == 0 ? XA_ROLLUP_JSON
            : strcmp(fmt, "csv") == 0  ? XA_ROLLUP_CSV
            : strcmp(fmt, "html") == 0 ? XA_ROLLUP_HTML
                                       : 0;
    char *json = NULL, *out = NULL;
    int rc;

    if (c->npos != 1 || c->period == NULL)
        return fail(2, "usage: xasync-district rollup --form ID --period PERIOD [--format "
                       "text|json|csv|html] [--by-commune] [--include-drafts]");
    if (f == 0)
        return fail(2, "--format wants text, json, csv or html");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_rollup2(st, &o, &json);
    xa_store_close(st);
    if (rc == 0)
        rc = xa_rollup2_print(json, f, c->by_commune, &out);
    free(json);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    fputs(out, stdout);
    free(out);
    return 0;
}

static int cmd_check(dcli *c)
{
    xa_store *st = NULL;
    xa_commune cm;
    xa_report r;
    xa_finding *f = NULL;
    size_t n = 0;
    char id[XA_ENTITY_MAX + 1] = "";
    int rc;

    if (c->npos != 2 && c->npos != 3)
        return fail(2, "usage: xasync-district check SCOPE [ID] [--json]");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_district_commune_get(st, c->pos[1], &cm);
    if (rc == 0 && c->npos == 3) {
        snprintf(id, sizeof(id), "%s", c->pos[2]);
    } else if (rc == 0) {
        char **ids = NULL;
        size_t k = 0;
        rc = xa_report_list(st, c->pos[1], &ids, &k);
        if (rc == 0 && k == 1)
            snprintf(id, sizeof(id), "%s", ids[0]);
        else if (rc == 0)
            rc = xa_error_set(XA_EINVAL, "%s holds %zu reports: name one (%s%s)", c->pos[1], k,
                              k ? ids[0] : "none", k > 1 ? ", ..." : "");
        xa_report_list_free(ids, k);
    }
    if (rc == 0)
        rc = xa_report_load(st, c->pos[1], id, &r);
    if (rc < 0) {
        xa_store_close(st);
        return fail(1, "%s", xa_error_last());
    }
    rc = xa_report_check(&r, &f, &n);
    xa_form form;
    if (rc == 0 && xa_report_form(st, c->pos[1], id, &form) == 0) {
        rc = xa_bind_findings(&r, &form, &f, &n);
        xa_form_free(&form);
    }
    xa_store_close(st);
    xa_report_free(&r);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (c->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "code", f[i].code[0] ? f[i].code : "check");
            cJSON_AddStringToObject(o, "severity", f[i].severity);
            cJSON_AddStringToObject(o, "where", f[i].where);
            cJSON_AddStringToObject(o, "vi", f[i].vi);
            cJSON_AddStringToObject(o, "en", f[i].en);
            cJSON_AddItemToArray(a, o);
        }
        char *s = cJSON_Print(a);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(a);
    } else if (n == 0) {
        printf("%s %s: Không phát hiện sai sót. / Nothing to flag.\n", cm.name, id);
    } else {
        printf("%s %s: phát hiện %zu điểm cần xem lại / %zu findings:\n", cm.name, id, n, n);
        for (size_t i = 0; i < n; i++)
            printf("%zu. %s\t[%s] %s\n\t%s\n", i + 1, f[i].where,
                   f[i].code[0] ? f[i].code : "check", f[i].vi, f[i].en);
    }
    xa_findings_free(f, n);
    return n ? 1 : 0;
}

int xa_district_report_cmd(int argc, char **argv)
{
    const char *cmd = NULL;
    int has_form = 0, help = 0;
    dcli c;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            help = 1;
        if (strcmp(argv[i], "--form") == 0 || strncmp(argv[i], "--form=", 7) == 0)
            has_form = 1;
        if (strncmp(argv[i], "--", 2) == 0) {
            if (takes_value(argv[i]))
                i++;
            continue;
        }
        if (cmd == NULL)
            cmd = argv[i];
    }
    if (cmd == NULL || help)
        return -1;
    if (!(strcmp(cmd, "form") == 0 || strcmp(cmd, "accept") == 0 || strcmp(cmd, "return") == 0 ||
          strcmp(cmd, "check") == 0 || (strcmp(cmd, "rollup") == 0 && has_form)))
        return -1;
    memset(&c, 0, sizeof(c));
    if (parse(argc, argv, &c) != 0)
        return 2;
    if (strcmp(cmd, "form") == 0)
        return cmd_form(&c);
    if (strcmp(cmd, "accept") == 0)
        return cmd_decide(&c, 1);
    if (strcmp(cmd, "return") == 0)
        return cmd_decide(&c, 0);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(&c);
    return cmd_rollup(&c);
}
