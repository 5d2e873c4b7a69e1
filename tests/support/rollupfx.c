/* The rollup tests' harness (tests/report/test_rollup_*.c): a district of: rollupfx.h. */
#include "rollupfx.h"

#include "xasync/error.h"
#include "xasync/form.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

char *xu_pc(const xu_fx *f, const char *name)
{
    char n[64];

    snprintf(n, sizeof(n), "%s.db", name);
    return xt_path(f->dir, n);
}

char *xu_ok_at(xt_run r, const char *what, int line)
{
    if (r.status != 0)
        fail_msg("line %d: %s exited %d: %s", line, what, r.status, r.err);
    free(r.err);
    return r.out;
}

/* A refusal: exit `code`, `needle` in the one-line message, `db` unchanged. */
void xu_refused_at(
    xt_run r, const char *db, uint64_t before, int code, const char *needle, int line)
{
    if (r.status != code)
        fail_msg("line %d: exit %d, wanted %d (stderr: %s)", line, r.status, code, r.err);
    if (strstr(r.err, needle) == NULL)
        fail_msg("line %d: the message does not say '%s': %s", line, needle, r.err);
    if (strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
        fail_msg("line %d: the message is not one line: %s", line, r.err);
    if (xt_db_digest(db) != before)
        fail_msg("line %d: the database changed", line);
    xt_run_free(&r);
}

void xu_sync_pc(const char *db)
{
    X_OK("--db", db, "sync");
}

/* The start of the table line whose first cell is `tt`. */
char *xu_row_start(char *text, const char *tt)
{
    size_t n = strlen(tt);

    for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, tt, n) == 0 && p[n] == '\t')
            return p;
    fail_msg("the seed has no row %s", tt);
    return NULL;
}

/* text with cell `col` (0 = TT) of row `tt` replaced by `val` (frees text). */
char *xu_row_set(char *text, const char *tt, int col, const char *val)
{
    char *p = xu_row_start(text, tt), *s = p, *e;
    size_t head, tail;
    char *out;

    for (int k = 0; k < col; k++)
        s = strchr(s, '\t') + 1;
    e = s + strcspn(s, "\t\n");
    head = (size_t)(s - text);
    tail = strlen(e);
    out = malloc(head + strlen(val) + tail + 1);
    memcpy(out, text, head);
    memcpy(out + head, val, strlen(val));
    memcpy(out + head + strlen(val), e, tail + 1);
    free(text);
    return out;
}

/* text with `line` (no newline) put after row `tt` (frees text). */
char *xu_row_insert_after(char *text, const char *tt, const char *line)
{
    char *p = xu_row_start(text, tt);
    char *nl = strchr(p, '\n') + 1;
    size_t head = (size_t)(nl - text), ln = strlen(line);
    char *out = malloc(strlen(text) + ln + 2);

    memcpy(out, text, head);
    memcpy(out + head, line, ln);
    out[head + ln] = '\n';
    strcpy(out + head + ln + 1, nl);
    free(text);
    return out;
}

/* text with the lines of rows a and b (a before b, adjacent) swapped. */
char *xu_row_swap(char *text, const char *a, const char *b)
{
    char *pa = xu_row_start(text, a), *pb = xu_row_start(text, b);
    char *ea = strchr(pa, '\n') + 1, *eb = strchr(pb, '\n') + 1;
    size_t la = (size_t)(ea - pa), lb = (size_t)(eb - pb);
    char *out = malloc(strlen(text) + 1);
    size_t h = (size_t)(pa - text);

    assert_ptr_equal(ea, pb);
    memcpy(out, text, h);
    memcpy(out + h, pb, lb);
    memcpy(out + h + lb, pa, la);
    strcpy(out + h + lb + la, eb);
    free(text);
    return out;
}

char *xu_seed(void)
{
    char *s = xt_read_file(XA_SEED_REPORT, NULL);

    assert_non_null(s);
    return s;
}

char *xu_write_report(const xu_fx *f, const char *name, const char *text)
{
    char *p = xt_path(f->dir, name);

    xt_write_file(p, text, strlen(text));
    return p;
}

/* The entity of row `tt` of a PC's report (from its JSON export). */
char *xu_row_entity(const char *db, const char *report, const char *tt)
{
    char *out = X_OUT("--db", db, "report", "export", "--format", "json", "--report", report);
    cJSON *doc = cJSON_Parse(out), *b;
    char *ent = NULL;

    assert_non_null(doc);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(doc, "blocks"))
    {
        if (strcmp(cJSON_GetObjectItem(b, "kind")->valuestring, "row") == 0 &&
            strcmp(cJSON_GetObjectItem(b, "tt")->valuestring, tt) == 0 &&
            !cJSON_IsTrue(cJSON_GetObjectItem(b, "deleted")))
            ent = strdup(cJSON_GetObjectItem(b, "entity")->valuestring);
    }
    cJSON_Delete(doc);
    free(out);
    if (ent == NULL)
        fail_msg("no row %s in %s", tt, report);
    return ent;
}

int xu_setup(void **state)
{
    xu_fx *f = calloc(1, sizeof(*f));

    f->dir = xt_tempdir();
    f->ddb = xt_path(f->dir, "district.db");
    D_OK("--db", f->ddb, "init");
    for (size_t i = 0; i < NC; i++) {
        char tn[96];
        char *tok = D_OUT("--db", f->ddb, "commune", "add", C[i].scope, "--name", C[i].name);
        snprintf(tn, sizeof(tn), "%s.token", C[i].scope);
        char *p = xt_path(f->dir, tn);
        xt_write_file(p, tok, strlen(tok));
        free(p);
        free(tok);
    }
    *state = f;
    return 0;
}

int xu_teardown(void **state)
{
    xu_fx *f = *state;

    if (f->srv.pid)
        xt_server_stop(&f->srv, SIGTERM);
    free(f->srv.log);
    free(f->ddb);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* The seed made into the district's form, then edited as the district
 * decides: row 9 (Chi ngân sách) is money added up, not a %; grain may come
 * in tạ or kg; winter crops in m². */
void xu_make_form(xu_fx *f)
{
    D_OK("--db", f->ddb, "form", "add", "--from-report", XA_SEED_REPORT, "--id", FORM);
    char *js = D_OUT("--db", f->ddb, "form", "show", FORM, "--json");
    cJSON *doc = cJSON_Parse(js), *d;
    free(js);
    assert_non_null(doc);
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(doc, "indicators"))
    {
        const char *code = cJSON_GetObjectItem(d, "code")->valuestring;
        if (strcmp(code, "CT-09") == 0) {
            cJSON_ReplaceItemInObject(d, "unit", cJSON_CreateString("Trđ"));
            cJSON_ReplaceItemInObject(d, "aggregation", cJSON_CreateString("sum"));
        }
        if (strcmp(code, "CT-04") == 0) {
            cJSON *al = cJSON_GetObjectItem(d, "also_units");
            cJSON_AddItemToArray(al, cJSON_CreateString("tạ"));
            cJSON_AddItemToArray(al, cJSON_CreateString("kg"));
        }
        if (strcmp(code, "CT-06") == 0)
            cJSON_AddItemToArray(cJSON_GetObjectItem(d, "also_units"), cJSON_CreateString("m²"));
    }
    char *edited = cJSON_Print(doc);
    cJSON_Delete(doc);
    char *p = xu_write_report(f, "form.json", edited);
    free(edited);
    D_OK("--db", f->ddb, "form", "add", p);
    free(p);
}

const cJSON *xu_indicator(const cJSON *doc, const char *code)
{
    const cJSON *d;

    cJSON_ArrayForEach(
        d, cJSON_GetObjectItem(
               doc, "indicators")) if (strcmp(cJSON_GetObjectItem(d, "code")->valuestring, code) ==
                                       0) return d;
    fail_msg("no indicator %s in the rollup", code);
    return NULL;
}

void xu_district_is(const cJSON *doc,
                    const char *code,
                    const char *col,
                    const char *value,
                    const char *text,
                    int n,
                    int line)
{
    const cJSON *d = xu_indicator(doc, code);
    const cJSON *fig = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "district"), col);

    if (!cJSON_IsObject(fig))
        fail_msg("line %d: %s %s has no district figure", line, code, col);
    if (strcmp(cJSON_GetObjectItem(fig, "value")->valuestring, value) != 0 ||
        strcmp(cJSON_GetObjectItem(fig, "text")->valuestring, text) != 0)
        fail_msg("line %d: %s %s is %s (%s), wanted %s (%s)", line, code, col,
                 cJSON_GetObjectItem(fig, "value")->valuestring,
                 cJSON_GetObjectItem(fig, "text")->valuestring, value, text);
    if (n >= 0 && cJSON_GetObjectItem(fig, "n") && cJSON_GetObjectItem(fig, "n")->valueint != n)
        fail_msg("line %d: %s %s counts %d communes, wanted %d", line, code, col,
                 cJSON_GetObjectItem(fig, "n")->valueint, n);
}

/* The exclusion of `scope`'s figure of `code` for `reason` (NULL if none). */
const cJSON *xu_excluded(const cJSON *doc, const char *code, const char *scope, const char *reason)
{
    const cJSON *e;

    cJSON_ArrayForEach(
        e, cJSON_GetObjectItem(
               xu_indicator(doc, code),
               "excluded")) if (strcmp(cJSON_GetObjectItem(e, "scope")->valuestring, scope) == 0 &&
                                strcmp(cJSON_GetObjectItem(e, "reason")->valuestring, reason) ==
                                    0) return e;
    return NULL;
}

/* Exact tenths, as the test adds them itself. */
void xu_tenths(long long t, char *value, char *text)
{
    long long w = t / 10, d = t % 10;
    char digits[32], grouped[48];
    size_t n, o = 0;

    snprintf(digits, sizeof(digits), "%lld", w);
    n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            grouped[o++] = '.';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    if (d) {
        sprintf(value, "%lld.%lld", w, d);
        sprintf(text, "%s,%lld", grouped, d);
    } else {
        sprintf(value, "%lld", w);
        sprintf(text, "%s", grouped);
    }
}
