/*
 * A report's life (form.h): draft → sent → accepted or returned.
 *
 * Invariants: `sent` holds the bound figures exactly as they were when the
 * clerk pressed "Gửi lên huyện", so the district counts that version until
 * the next submit whatever is edited meanwhile; a report is a draft again
 * as soon as its text or bindings differ from what was sent (nothing is
 * written for that: it is computed); the district's decision names the
 * version it was about (state_for = sent_at).
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int put(xa_store *st,
               const char *scope,
               const char *entity,
               const char *field,
               const char *text,
               const char *author)
{
    char *j = xa_rvalue_encode(text);
    int rc;

    if (j == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_store_set(st, scope, entity, field, j, author, 0, NULL);
    if (rc == XA_ECONFLICT) /* a decision settles a conflict on the state */
        rc = xa_store_set(st, scope, entity, field, j, author, 1, NULL);
    free(j);
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int is_group_tt(const char *tt)
{
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

char *xa_report_snapshot(xa_store *st, const char *scope, const xa_report *r)
{
    cJSON *o = cJSON_CreateObject(), *rows, *unb;
    char *text = NULL, *s = NULL, hex[24];
    uint64_t h = 1469598103934665603ULL;

    if (o == NULL) {
        xa_error_set(XA_ENOMEM, "out of memory");
        return NULL;
    }
    rows = cJSON_AddArrayToObject(o, "rows");
    unb = cJSON_AddArrayToObject(o, "unbound");
    if (xa_report_render(r, XA_REPORT_TEXT, &text) == 0)
        h = fnv(h, text);
    free(text);
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt))
            continue;
        h = fnv(fnv(h, b->code), b->bound_by);
        if (b->code[0] == '\0') {
            cJSON *u = cJSON_CreateObject();
            cJSON_AddStringToObject(u, "tt", b->tt);
            cJSON_AddStringToObject(u, "name", b->name);
            cJSON_AddItemToArray(unb, u);
            continue;
        }
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", b->code);
        cJSON_AddStringToObject(x, "bound_by", b->bound_by);
        cJSON_AddStringToObject(x, "tt", b->tt);
        cJSON_AddStringToObject(x, "name", b->name);
        cJSON_AddStringToObject(x, "unit", xa_row_unit(r, i));
        cJSON_AddStringToObject(x, "prev", b->prev);
        cJSON_AddStringToObject(x, "plan", b->plan);
        cJSON_AddStringToObject(x, "est", b->est);
        if (b->conflict) {
            static const char *const cols[] = {"prev", "plan", "est", "unit", "name"};
            cJSON *c = cJSON_AddObjectToObject(x, "conflict");
            char ent[XA_ENTITY_MAX + 16];
            snprintf(ent, sizeof(ent), "%s/b/%s", r->id, b->id);
            for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
                xa_field f;
                if (xa_store_get(st, scope, ent, cols[k], &f) != 0)
                    continue;
                if (f.n > 1) {
                    cJSON *a = cJSON_AddArrayToObject(c, cols[k]);
                    for (size_t v = 0; v < f.n; v++) {
                        char *t = xa_rvalue_decode(f.v[v].value);
                        cJSON_AddItemToArray(a, cJSON_CreateString(t ? t : ""));
                        free(t);
                    }
                }
                xa_field_clear(&f);
            }
        }
        cJSON_AddItemToArray(rows, x);
    }
    snprintf(hex, sizeof(hex), "%016" PRIx64, h);
    cJSON_AddStringToObject(o, "digest", hex);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s == NULL)
        xa_error_set(XA_ENOMEM, "out of memory");
    return s;
}

static char *get_text(xa_store *st, const char *scope, const char *id, const char *field, int *conf)
{
    xa_field f;
    char *v;

    if (xa_store_get(st, scope, id, field, &f) != 0)
        return NULL;
    if (conf && f.n > 1)
        *conf = 1;
    v = xa_rvalue_decode(f.v[0].value);
    xa_field_clear(&f);
    return v;
}

static char *digest_of(const char *snap)
{
    cJSON *o = snap ? cJSON_Parse(snap) : NULL;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "digest");
    char *s = NULL;

    if (cJSON_IsString(d))
        s = strdup(d->valuestring);
    cJSON_Delete(o);
    return s;
}

int xa_report_state_get(xa_store *st, const char *scope, const char *id, xa_report_state *out)
{
    xa_report r;
    char *state, *sent, *at, *reason;
    int rc = xa_report_load(st, scope, id, &r), conf = 0;

    if (rc < 0)
        return rc;
    memset(out, 0, sizeof(*out));
    state = get_text(st, scope, id, "state", &conf);
    sent = get_text(st, scope, id, "sent", &conf);
    at = get_text(st, scope, id, "sent_at", &conf);
    reason = get_text(st, scope, id, "state_reason", NULL);
    snprintf(out->state, sizeof(out->state), "%s", state && state[0] ? state : "draft");
    out->sent_at = at ? strtoll(at, NULL, 10) : 0;
    snprintf(out->reason, sizeof(out->reason), "%s", reason ? reason : "");
    out->conflict = conf;
    if (sent) {
        char *now = xa_report_snapshot(st, scope, &r);
        char *d1 = digest_of(sent), *d2 = digest_of(now);
        out->edited = d1 == NULL || d2 == NULL || strcmp(d1, d2) != 0;
        free(now);
        free(d1);
        free(d2);
    }
    free(state);
    free(sent);
    free(at);
    free(reason);
    xa_report_free(&r);
    return 0;
}

int xa_report_submit(xa_store *st, const char *scope, const char *id, const char *author)
{
    xa_report r;
    xa_form f;
    char *snap = NULL, at[32];
    int rc = xa_report_form(st, scope, id, &f);

    if (rc < 0)
        return rc;
    xa_form_free(&f);
    rc = xa_report_load(st, scope, id, &r);
    if (rc < 0)
        return rc;
    snap = xa_report_snapshot(st, scope, &r);
    xa_report_free(&r);
    if (snap == NULL)
        return XA_ENOMEM;
    snprintf(at, sizeof(at), "%" PRId64, now_ms());
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(st, scope, id, "sent", snap, author);
    if (rc == 0)
        rc = put(st, scope, id, "sent_at", at, author);
    if (rc == 0)
        rc = put(st, scope, id, "state", "sent", author);
    if (rc == 0)
        rc = put(st, scope, id, "state_reason", "", author);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    free(snap);
    return rc;
}

int xa_report_decide(xa_store *st,
                     const char *scope,
                     const char *id,
                     const char *decision,
                     const char *reason,
                     const char *author)
{
    xa_field f;
    char *at;
    char now[32];
    int rc;

    if (strcmp(decision, "accepted") != 0 && strcmp(decision, "returned") != 0)
        return xa_error_set(XA_EINVAL, "a decision is accepted or returned");
    if (strcmp(decision, "returned") == 0 && (reason == NULL || reason[0] == '\0'))
        return xa_error_set(XA_EINVAL,
                            "trả lại cần lý do / returning a report needs --reason TEXT");
    rc = xa_store_get(st, scope, id, "title", &f);
    if (rc == XA_ENOTFOUND)
        return xa_error_set(XA_ENOTFOUND,
                            "xã %s không có báo cáo %s / commune %s holds no report %s", scope, id,
                            scope, id);
    if (rc < 0)
        return rc;
    xa_field_clear(&f);
    at = get_text(st, scope, id, "sent_at", NULL);
    if (at == NULL || at[0] == '\0') {
        free(at);
        return xa_error_set(XA_EINVAL,
                            "báo cáo %s của xã %s chưa được gửi lên huyện / report %s of %s was "
                            "never sent (the commune sends it with `xasync report submit`)",
                            id, scope, id, scope);
    }
    snprintf(now, sizeof(now), "%" PRId64, now_ms());
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(st, scope, id, "state", decision, author);
    if (rc == 0)
        rc = put(st, scope, id, "state_reason", reason ? reason : "", author);
    if (rc == 0)
        rc = put(st, scope, id, "state_at", now, author);
    if (rc == 0)
        rc = put(st, scope, id, "state_for", at, author);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    free(at);
    return rc;
}
