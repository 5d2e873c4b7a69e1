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
