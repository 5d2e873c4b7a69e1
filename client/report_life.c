/*
 * The commune's side of forms and a report's life (report_life.h):
 *
 *   report import FILE --form ID [--period P]  bind the table to the form
 *   report new --form ID --period P [--id ID]  a report started from a form
 *   report bind ind/7 KT-07                    bind a row by hand ("-" unbinds)
 *   report submit                              "Gửi lên huyện"
 *   report state [--json]                      draft, sent, accepted, returned
 */
#include "report_life.h"

#include "xasync/error.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int kind_known(xa_store *st, const char *kind)
{
    char **ids = NULL;
    size_t n = 0;
    int found = xa_kind_period_type(kind) != NULL;

    if (!found && xa_form_list(st, xa_store_scope(st), &ids, &n) == 0)
        for (size_t i = 0; i < n && !found; i++) {
            xa_form f;
            if (xa_form_get(st, xa_store_scope(st), ids[i], &f) == 0) {
                found = strcmp(f.kind, kind) == 0;
                xa_form_free(&f);
            }
        }
    xa_report_list_free(ids, n);
    return found;
}

int xa_life_import_prepare(xa_cli *cli,
                           xa_store *st,
                           const char *text,
                           char *period,
                           size_t cap,
                           xa_form *form,
                           int *have_form)
{
    int rc;

    *have_form = 0;
    period[0] = '\0';
    if (cli->kind && !kind_known(st, cli->kind))
        return xa_cli_fail(XA_EXIT_ERR,
                           "loại báo cáo '%s' không có / unknown kind '%s': so-ket-6-thang, "
                           "tong-ket-nam, quy, thang, or a kind of a form the district sent",
                           cli->kind, cli->kind);
    if (cli->form == NULL) {
        const char *pt = cli->kind ? xa_kind_period_type(cli->kind) : NULL;
        static const char *const any[] = {"half-year", "year", "quarter", "month"};
        int ok = 0;
        if (cli->period && pt && xa_period_check(pt, cli->period) < 0)
            return xa_cli_fail_xa(XA_EINVAL);
        /* with no kind, a period of some period type */
        for (size_t i = 0; cli->period && !pt && i < 4; i++)
            ok |= xa_period_check(any[i], cli->period) == 0;
        if (cli->period && !pt && !ok)
            return xa_cli_fail(XA_EXIT_ERR,
                               "kỳ báo cáo '%s' không hợp lệ / period '%s' is not valid: 2024-h1, "
                               "2024-h2, 2024, 2024-q1 .. 2024-q4, 2024-01 .. 2024-12",
                               cli->period, cli->period);
        return 0;
    }
    rc = xa_form_get(st, xa_store_scope(st), cli->form, form);
    if (rc < 0)
        return xa_cli_fail(XA_EXIT_ERR,
                           "không có biểu mẫu %s trên máy này / no form %s on this PC (forms come "
                           "from the district with `xasync sync`)",
                           cli->form, cli->form);
    *have_form = 1;
    if (cli->kind && strcmp(cli->kind, form->kind) != 0) {
        xa_form_free(form);
        *have_form = 0;
        return xa_cli_fail(XA_EXIT_ERR, "form %s is for kind %s, not %s", cli->form, form->kind,
                           cli->kind);
    }
    if (cli->period)
        rc = xa_period_check(form->period_type, cli->period),
        snprintf(period, cap, "%s", cli->period);
    else
        rc = xa_period_guess(text, form->period_type, period, cap);
    if (rc < 0) {
        xa_form_free(form);
        *have_form = 0;
        return xa_cli_fail_xa(rc);
    }
    return 0;
}

static void print_binding(xa_store *st, const char *id)
{
    xa_report r;
    size_t nname = 0, nfall = 0, npos = 0, nnone = 0;

    if (xa_report_load(st, xa_store_scope(st), id, &r) < 0)
        return;
    for (size_t i = 0; i < r.n; i++) {
        const xa_block *b = &r.b[i];
        if (b->deleted || strcmp(b->kind, "row") != 0 ||
            (b->tt[0] && strspn(b->tt, "IVX") == strlen(b->tt)))
            continue;
        if (strcmp(b->bound_by, "name") == 0 || strcmp(b->bound_by, "manual") == 0)
            nname++;
        else if (strcmp(b->bound_by, "fallback") == 0)
            nfall++;
        else if (strcmp(b->bound_by, "position") == 0)
            npos++;
        else
            nnone++;
        if (strcmp(b->bound_by, "fallback") == 0 || strcmp(b->bound_by, "position") == 0 ||
            b->code[0] == '\0')
            fprintf(stderr, "xasync: %s ind/%s \"%s\": %s\n",
                    b->code[0] ? "kiểm tra / check" : "chưa gắn / unbound", b->tt, b->name,
                    b->code[0] == '\0' ? "không khớp chỉ tiêu nào / matches no indicator "
                                         "(xasync report bind ind/TT CODE)"
                    : strcmp(b->bound_by, "fallback") == 0
                        ? "khớp tên khi bỏ dấu / matched without diacritics"
                        : "chỉ khớp theo số thứ tự / matched by position only (confirm with "
                          "xasync report bind)");
    }
    printf("bound to form: %zu by name, %zu without diacritics, %zu by position only, %zu "
           "unbound\n",
           nname, nfall, npos, nnone);
    xa_report_free(&r);
}

static int bind_now(xa_store *st, const char *id, const xa_form *f, const char *author)
{
    int rc = xa_store_begin(st);

    if (rc == 0)
        rc = xa_report_bind_all(st, xa_store_scope(st), id, f, author, NULL);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    return rc;
}

int xa_life_import_bind(xa_cli *cli, xa_store *st, const char *id, xa_form *form, int have_form)
{
    int rc;

    if (!have_form) {
        /* the one form held whose kind is the report's */
        char **ids = NULL, kind[128] = "";
        size_t n = 0, match = 0;
        xa_report r;
        if (xa_report_load(st, xa_store_scope(st), id, &r) == 0) {
            snprintf(kind, sizeof(kind), "%s", r.kind);
            xa_report_free(&r);
        }
        if (xa_form_list(st, xa_store_scope(st), &ids, &n) == 0)
            for (size_t i = 0; i < n; i++) {
                xa_form f;
                if (xa_form_get(st, xa_store_scope(st), ids[i], &f) < 0)
                    continue;
                if (strcmp(f.kind, kind) == 0 && ++match == 1) {
                    *form = f;
                    have_form = 1;
                } else {
                    xa_form_free(&f);
                }
            }
        xa_report_list_free(ids, n);
        if (match != 1) {
            if (have_form)
                xa_form_free(form);
            if (match > 1)
                fprintf(stderr,
                        "xasync: warning: several forms are for kind %s; bind with "
                        "`xasync report import --form ID`\n",
                        kind);
            return XA_EXIT_OK;
        }
    }
    rc = bind_now(st, id, form, xa_cli_author(cli));
    xa_form_free(form);
    if (rc < 0)
        return xa_cli_fail(XA_EXIT_ERR, "imported, but binding to the form failed: %s",
                           xa_error_last());
    print_binding(st, id);
    return XA_EXIT_OK;
}

int xa_life_new(xa_cli *cli, xa_store *st)
{
    xa_form f;
    char id[XA_ENTITY_MAX + 1];
    int rc;

    if (cli->form == NULL || cli->period == NULL || cli->npos != 1)
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync report new --form ID --period PERIOD [--id ID]");
    rc = xa_form_get(st, xa_store_scope(st), cli->form, &f);
    if (rc < 0)
        return xa_cli_fail(XA_EXIT_ERR,
                           "không có biểu mẫu %s trên máy này / no form %s on this PC (forms come "
                           "from the district with `xasync sync`)",
                           cli->form, cli->form);
    snprintf(id, sizeof(id), "%s", cli->id ? cli->id : "");
    if (id[0] == '\0')
        snprintf(id, sizeof(id), "report-%s", cli->period);
    rc = xa_report_new(st, xa_store_scope(st), id, &f, cli->period, xa_cli_author(cli));
    xa_form_free(&f);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    printf("%s\n", id);
    return XA_EXIT_OK;
}

int xa_life_bind(xa_cli *cli, xa_store *st, const char *id)
{
    int rc;

    if (cli->npos != 3)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report bind ind/TT CODE (\"-\" unbinds)");
    rc = xa_report_bind(st, xa_store_scope(st), id, cli->pos[1], cli->pos[2], xa_cli_author(cli));
    return rc < 0 ? xa_cli_fail_xa(rc) : XA_EXIT_OK;
}

int xa_life_submit(xa_cli *cli, xa_store *st, const char *id)
{
    int rc;

    if (cli->npos > 2)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report submit [ID]");
    rc = xa_report_submit(st, xa_store_scope(st), id, xa_cli_author(cli));
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    printf("đã đánh dấu gửi lên huyện / marked as sent: %s (it reaches the district with the next "
           "sync)\n",
           id);
    return XA_EXIT_OK;
}

int xa_life_state(xa_cli *cli, xa_store *st, const char *id)
{
    xa_report_state s;
    int rc = xa_report_state_get(st, xa_store_scope(st), id, &s);
    char t[48] = "";

    if (rc < 0)
        return xa_cli_fail_xa(rc);
    if (s.sent_at) {
        time_t tt = (time_t)(s.sent_at / 1000);
        struct tm tm;
        if (localtime_r(&tt, &tm))
            strftime(t, sizeof(t), "%Y-%m-%d %H:%M", &tm);
    }
    if (cli->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "report", id);
        cJSON_AddStringToObject(o, "state", s.state);
        cJSON_AddBoolToObject(o, "edited", s.edited);
        cJSON_AddStringToObject(o, "sent_at", t);
        cJSON_AddStringToObject(o, "reason", s.reason);
        cJSON_AddBoolToObject(o, "conflict", s.conflict);
        char *j = cJSON_Print(o);
        puts(j ? j : "{}");
        free(j);
        cJSON_Delete(o);
        return XA_EXIT_OK;
    }
    printf("%s: %s%s%s%s%s%s\n", id, s.state, t[0] ? ", sent " : "", t,
           s.edited ? "; sửa sau khi gửi, là bản nháp mới / edited since sent: a new draft" : "",
           s.reason[0] ? "; lý do / reason: " : "", s.reason);
    if (s.conflict)
        printf("xung đột / conflict on the report's state: see `xasync conflicts`\n");
    return XA_EXIT_OK;
}

/* ---- a copy of last period's report (report copy) -------------------------- */

/* The period's year (its first four digits), or -1. */
static int period_year(const char *p)
{
    int y = 0;

    for (int i = 0; i < 4; i++) {
        if (p == NULL || p[i] < '0' || p[i] > '9')
            return -1;
        y = y * 10 + (p[i] - '0');
    }
    return y;
}

/* JSON text `json` (a string value) with the years that name the old
 * period, `from` and the year before it, moved by `shift` years: the title,
 * the date, the parts' and headings' titles and the table's column heads of
 * a report copied to a later year ("6 tháng đầu năm 2024", "KQ thực hiện 6
 * tháng 2023", "KH năm 2024").  Only a year standing as a word of its own:
 * not one in a date or a document's number ("07/4/2014", "91/2017/NĐ-CP"),
 * and no other year (a decree's).  malloc'd; NULL when out of memory. */
static char *shift_years(const char *json, int from, int shift)
{
    cJSON *j = cJSON_Parse(json);
    char *out;

    if (!cJSON_IsString(j) || shift == 0) {
        cJSON_Delete(j);
        return strdup(json);
    }
    const char *s = j->valuestring;
    size_t n = strlen(s);
    char *t = malloc(n + 1);
    if (t == NULL) {
        cJSON_Delete(j);
        return NULL;
    }
    memcpy(t, s, n + 1);
    for (size_t i = 0; i + 4 <= n; i++) {
        int word = (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n' ||
                    t[i - 1] == '(') &&
                   (i + 4 == n || strchr(" \t\n).,;:", t[i + 4]) != NULL);
        int y = word ? period_year(t + i) : -1;
        if ((y == from || y == from - 1) && y + shift >= 1000 && y + shift <= 9999) {
            char buf[12];
            snprintf(buf, sizeof(buf), "%04d", y + shift);
            memcpy(t + i, buf, 4);
            i += 3;
        }
    }
    cJSON_Delete(j);
    j = cJSON_CreateString(t);
    free(t);
    out = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return out;
}

/* A report value as the store keeps it (a JSON string); malloc'd. */
static char *json_string(const char *text)
{
    cJSON *j = cJSON_CreateString(text);
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;

    cJSON_Delete(j);
    return s;
}

/* Is the front value of a field the string "1" (a deleted block)? */
static int is_one(const xa_field *f)
{
    return f->n && f->v[0].value && strcmp(f->v[0].value, "\"1\"") == 0;
}

/* The period type a copy of report `from` (its kind, its form) takes;
 * NULL: any. */
static int copy_period_check(xa_store *st, const char *from, const char *period)
{
    xa_form f;
    const char *pt = NULL;
    int rc, have = 0;

    if (xa_report_form(st, xa_store_scope(st), from, &f) == 0) {
        have = 1;
        pt = f.period_type;
    } else {
        xa_field k;
        if (xa_store_get(st, xa_store_scope(st), from, "kind", &k) == 0) {
            cJSON *j = k.n ? cJSON_Parse(k.v[0].value) : NULL;
            if (cJSON_IsString(j))
                pt = xa_kind_period_type(j->valuestring);
            cJSON_Delete(j);
            xa_field_clear(&k);
        }
    }
    if (pt) {
        rc = xa_period_check(pt, period);
    } else {
        static const char *const any[] = {"half-year", "year", "quarter", "month"};
        int ok = 0;
        for (size_t i = 0; i < 4; i++)
            ok |= xa_period_check(any[i], period) == 0;
        rc = ok ? 0
                : xa_error_set(XA_EINVAL,
                               "kỳ báo cáo '%s' không hợp lệ / period '%s' is not valid: 2024-h1, "
                               "2024-h2, 2024, 2024-q1 .. 2024-q4, 2024-01 .. 2024-12",
                               period, period);
    }
    if (have)
        xa_form_free(&f);
    return rc;
}

int xa_life_copy(xa_cli *cli, xa_store *st, const char *from)
{
    const char *scope = xa_store_scope(st);
    char id[XA_ENTITY_MAX + 1], oldperiod[32] = "";
    xa_field *f = NULL, cur;
    size_t n = 0, fromlen = strlen(from), blocks = 0, moved = 0;
    int rc, shift = 0;

    if (cli->period == NULL || cli->npos != 1)
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync report copy --period PERIOD [--report FROM] [--id ID]");
    if (xa_store_get(st, scope, from, "title", &cur) < 0)
        return xa_cli_fail(XA_EXIT_ERR, "không có báo cáo %s / no report %s on this PC", from,
                           from);
    xa_field_clear(&cur);
    if (copy_period_check(st, from, cli->period) < 0)
        return xa_cli_fail_xa(XA_EINVAL);
    if (xa_store_get(st, scope, from, "period", &cur) == 0) {
        cJSON *j = cur.n ? cJSON_Parse(cur.v[0].value) : NULL;
        if (cJSON_IsString(j))
            snprintf(oldperiod, sizeof(oldperiod), "%s", j->valuestring);
        cJSON_Delete(j);
        xa_field_clear(&cur);
    }
    if (period_year(oldperiod) > 0 && period_year(cli->period) > 0)
        shift = period_year(cli->period) - period_year(oldperiod);
    if (cli->id)
        snprintf(id, sizeof(id), "%s", cli->id);
    else
        snprintf(id, sizeof(id), "report-%s", cli->period);
    if (xa_check_entity(id) < 0 || strchr(id, '/'))
        return xa_cli_fail(XA_EXIT_ERR, "'%s' is not a report id (letters, digits, . _ : -)", id);
    if (strcmp(id, from) == 0 || xa_store_get(st, scope, id, "title", &cur) == 0) {
        if (strcmp(id, from) != 0)
            xa_field_clear(&cur);
        return xa_cli_fail(
            XA_EXIT_ERR, "báo cáo %s đã có / report %s already exists; give another --id", id, id);
    }
    rc = xa_store_fields(st, scope, NULL, 0, &f, &n);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    rc = xa_store_begin(st);
    for (size_t i = 0; rc == 0 && i < n;) {
        const char *e = f[i].entity;
        size_t j = i, end;
        int header = strcmp(e, from) == 0;
        int block =
            !header && strncmp(e, from, fromlen) == 0 && strncmp(e + fromlen, "/b/", 3) == 0;
        int deleted = 0, row = 0, titled = 0;
        char ent[XA_ENTITY_MAX + 1];

        while (j < n && strcmp(f[j].entity, e) == 0) {
            if (strcmp(f[j].field, "deleted") == 0 && is_one(&f[j]))
                deleted = 1;
            if (strcmp(f[j].field, "kind") == 0 && f[j].n &&
                strcmp(f[j].v[0].value, "\"row\"") == 0)
                row = 1;
            /* a part's or heading's title names the period, as the report's does */
            if (strcmp(f[j].field, "kind") == 0 && f[j].n &&
                (strcmp(f[j].v[0].value, "\"part\"") == 0 ||
                 strcmp(f[j].v[0].value, "\"heading\"") == 0))
                titled = 1;
            j++;
        }
        end = j;
        if ((!header && !block) || deleted) {
            i = end;
            continue;
        }
        if ((size_t)snprintf(ent, sizeof(ent), "%s%s", id, e + fromlen) >= sizeof(ent)) {
            rc = xa_error_set(XA_EINVAL, "the new report's id is too long for %s", e);
            break;
        }
        blocks += block;
        for (j = i; rc == 0 && j < end; j++) {
            const char *fl = f[j].field;
            const char *v = f[j].n ? f[j].v[0].value : NULL;
            char *mine = NULL;
            if (v == NULL)
                continue;
            if (header) {
                /* its life (sent, accepted, returned) is the old one's */
                static const char *const skip[] = {"state",        "sent",     "sent_at",
                                                   "state_reason", "state_at", "state_for"};
                int drop = 0;
                for (size_t k = 0; k < sizeof(skip) / sizeof(*skip); k++)
                    drop |= strcmp(fl, skip[k]) == 0;
                if (drop)
                    continue;
                if (strcmp(fl, "period") == 0)
                    v = mine = json_string(cli->period);
                else if (strcmp(fl, "title") == 0 || strcmp(fl, "date") == 0)
                    v = mine = shift_years(v, period_year(oldperiod), shift);
            } else if (row) {
                /* the figures: this period's become the previous period's,
                 * this period's are left empty and the derived columns computed */
                if (strcmp(fl, "est") == 0) {
                    rc = xa_store_set(st, scope, ent, "prev", v, xa_cli_author(cli), 0, NULL);
                    moved += strcmp(v, "\"\"") != 0;
                    continue;
                }
                if (strcmp(fl, "prev") == 0 || strcmp(fl, "vs_prev") == 0 ||
                    strcmp(fl, "vs_plan") == 0 || strcmp(fl, "remain") == 0 ||
                    strcmp(fl, "printed_for") == 0)
                    continue;
                /* a year's plan stays within its year */
                if (strcmp(fl, "plan") == 0 && shift != 0)
                    continue;
            } else if (strcmp(fl, "head") == 0 || strcmp(fl, "head2") == 0 ||
                       (titled && strcmp(fl, "text") == 0)) {
                v = mine = shift_years(v, period_year(oldperiod), shift);
            }
            if (v == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            rc = xa_store_set(st, scope, ent, fl, v, xa_cli_author(cli), 0, NULL);
            free(mine);
        }
        i = end;
    }
    xa_fields_free(f, n);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    printf("copied report %s to %s for %s: %zu blocks, %zu figures moved to the previous"
           " period's column (prev), this period's (est) left empty\n",
           from, id, cli->period, blocks, moved);
    return XA_EXIT_OK;
}
