/*
 * The commune report (docs/design.md, "The report on top of fields";
 * include/xasync/report.h): the real `xasync report …` and
 * `xasync-district` processes on real database files, with the seed report
 * tests/fixtures/bao-cao-so-ket-6-thang-2024.txt.  The harness and the cast:
 * tests/support/reportfx.h.
 *
 * What must hold:
 *   4. Blocks added on two PCs at the same place both survive, in the same
 *      order everywhere; concurrent edits of one cell or paragraph are a
 *      conflict, marked in the export, until a person resolves it.
 *   5. The district prints a commune's report as the commune does, and adds
 *      up an indicator across the communes that reported.
 */
#include "reportfx.h"

#include <cjson/cJSON.h>
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

/* ---------------------------------------------------------------------- */
/* Two PCs and the district                                                 */

/* A imports the seed and syncs; B syncs and has the same report. */
static void share_seed(const xr_fx *f)
{
    char *ea, *eb, *list;

    IMPORT_SEED(f, f->a);
    SYNC(f, f->a);
    SYNC(f, f->b);
    list = XB_OUT(f, "--db", f->b, "report", "list");
    assert_string_equal(list, REPORT "\n");
    free(list);
    ea = EXPORT(f, f->a);
    eb = EXPORT(f, f->b);
    assert_string_equal(ea, eb);
    free(ea);
    free(eb);
}

/* `get ENTITY FIELD` on `db` exits 3 and lists both values. */
static void both_values_at(const xr_fx *f,
                           const char *db,
                           const char *ent,
                           const char *field,
                           const char *v1,
                           const char *v2,
                           int line)
{
    xt_run r = xr_xa(f, ARGV("--db", db, "get", ent, field));

    if (r.status != 3 || strstr(r.out, v1) == NULL || strstr(r.out, v2) == NULL)
        fail_msg("%s:%d: get %s %s on %s: expected exit 3 listing [%s] and [%s], got %d: [%s] "
                 "[%s]",
                 __FILE__, line, ent, field, db, v1, v2, r.status, r.out, r.err);
    if (strstr(r.out, AUTHOR_A) == NULL || strstr(r.out, AUTHOR_B) == NULL)
        fail_msg("%s:%d: get %s %s: the values do not name their authors: [%s]", __FILE__, line,
                 ent, field, r.out);
    xt_run_free(&r);
}
#define BOTH_VALUES(f, db, ent, field, v1, v2)                                                     \
    both_values_at((f), (db), (ent), (field), (v1), (v2), __LINE__)

static void test_report__concurrent_edits_conflict_until_resolved(void **state)
{
    xr_fx *f = *state;
    const char *dbs[2];
    char row[96], para[96], *out, *ln, c[64];
    cJSON *doc;

    dbs[0] = f->a;
    dbs[1] = f->b;
    share_seed(f);
    doc = xr_export_json(f, f->a);
    xr_block_entity(doc, "row", "4", row, sizeof row);
    xr_block_entity(doc, "para", NULL, para, sizeof para);
    cJSON_Delete(doc);

    /* Apart: both edit the same cell and the same paragraph. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "650");
    XB_DO(f, "--db", f->b, "report", "edit", "ind/4/est", "660");
    XA_DO(f, "--db", f->a, "report", "edit", para + strlen(REPORT) + 1, "Đoạn của máy A");
    XB_DO(f, "--db", f->b, "report", "edit", para + strlen(REPORT) + 1, "Đoạn của máy B");
    SYNC(f, f->a);
    SYNC(f, f->b);
    SYNC(f, f->a);

    for (int i = 0; i < 2; i++) {
        out = EXPORT(f, dbs[i]);
        ln = ROW_LINE(out, "4");
        if (strstr(ln, CONFLICT) == NULL)
            fail_msg("%s: row 4 is not marked in conflict: [%s]", dbs[i], ln);
        free(ln);
        ln = xr_line_with(out, "Đoạn của máy ");
        if (ln == NULL || strstr(ln, CONFLICT) == NULL)
            fail_msg("%s: the paragraph is not marked in conflict: [%s]", dbs[i],
                     ln ? ln : "(missing)");
        free(ln);
        free(out);
        BOTH_VALUES(f, dbs[i], row, "est", "650", "660");
        BOTH_VALUES(f, dbs[i], para, "text", "Đoạn của máy A", "Đoạn của máy B");
    }

    /* A person settles both on A; the district and B learn it. */
    XA_DO(f, "--db", f->a, "resolve", row, "est", "655");
    XA_DO(f, "--db", f->a, "resolve", para, "text", "Đoạn đã thống nhất");
    SYNC(f, f->a);
    SYNC(f, f->b);

    for (int i = 0; i < 2; i++) {
        out = XA_OUT(f, "--db", dbs[i], "get", row, "est");
        assert_string_equal(out, "655\n");
        free(out);
        out = XA_OUT(f, "--db", dbs[i], "get", para, "text");
        assert_string_equal(out, "Đoạn đã thống nhất\n");
        free(out);
        out = EXPORT(f, dbs[i]);
        ln = ROW_LINE(out, "4");
        assert_string_equal(xr_cell(ln, 5, c, sizeof c), "655");
        free(ln);
        ln = xr_line_with(out, CONFLICT);
        if (ln != NULL) {
            char *conf = XA_OUT(f, "--db", dbs[i], "conflicts");
            fail_msg("%s: after resolving est and text, the export still marks a conflict: "
                     "[%s]\n`xasync conflicts`: [%s]",
                     dbs[i], ln, conf);
        }
        free(out);
    }
}

static void test_report__concurrent_inserts_keep_both_in_same_order(void **state)
{
    xr_fx *f = *state;
    char *ea, *eb, *id;
    xr_nlines l;
    int at = -1;

    share_seed(f);
    id = XA_OUT(f, "--db", f->a, "report", "add", "para", "Đoạn thêm ở máy A", "--after", "2.1");
    free(id);
    id = XB_OUT(f, "--db", f->b, "report", "add", "para", "Đoạn thêm ở máy B", "--after", "2.1");
    free(id);
    SYNC(f, f->a);
    SYNC(f, f->b);
    SYNC(f, f->a);

    ea = EXPORT(f, f->a);
    eb = EXPORT(f, f->b);
    assert_string_equal(ea, eb);
    l = xr_normalize(ea);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.v[i].s, "2.1. " H21_TEXT) == 0)
            at = (int)i;
    assert_true(at >= 0 && (size_t)at + 2 < l.n);
    /* Both right after the heading, in whichever order, the same on both. */
    if (!((strcmp(l.v[at + 1].s, "Đoạn thêm ở máy A") == 0 &&
           strcmp(l.v[at + 2].s, "Đoạn thêm ở máy B") == 0) ||
          (strcmp(l.v[at + 1].s, "Đoạn thêm ở máy B") == 0 &&
           strcmp(l.v[at + 2].s, "Đoạn thêm ở máy A") == 0)))
        fail_msg("after 2.1 come [%s] and [%s], not the two new paragraphs", l.v[at + 1].s,
                 l.v[at + 2].s);
    assert_null(strstr(ea, CONFLICT));
    xr_nlines_free(&l);
    free(ea);
    free(eb);
}

static void test_report__district_show_matches_pc_export(void **state)
{
    xr_fx *f = *state;
    char *ea, *ed, *ha, *hd;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    SYNC(f, f->a);
    ea = EXPORT(f, f->a);
    ed = DISTRICT_OUT(f, "--db", f->ddb, "show", KIM, "--report", REPORT, "--format", "text");
    assert_string_equal(ed, ea);

    ha = XA_OUT(f, "--db", f->a, "report", "export", "--format", "html");
    hd = DISTRICT_OUT(f, "--db", f->ddb, "show", KIM, "--report", REPORT, "--format", "html");
    assert_true(strncmp(hd, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(hd, MOTTO));
    assert_non_null(strstr(hd, ">640<"));
    assert_string_equal(hd, ha);
    free(ea);
    free(ed);
    free(ha);
    free(hd);
}

static void test_report__district_rollup_sums_communes(void **state)
{
    xr_fx *f = *state;
    char *out, *ln, *nr, c[64];
    cJSON *doc, *rows, *it, *r4 = NULL, *rep, *mis;

    IMPORT_SEED(f, f->a); /* hoang-kim: row 4 est 636,4 */
    SYNC(f, f->a);
    IMPORT_SEED(f, f->c); /* hoang-phu: row 4 est 700 */
    XA_DO(f, "--db", f->c, "report", "edit", "ind/4/est", "700");
    SYNC(f, f->c);
    /* hoang-xuyen never reports */

    out = DISTRICT_OUT(f, "--db", f->ddb, "rollup", "--report-kind", "so-ket-6-thang", "--period",
                       "2024-h1");
    ln = ROW_LINE(out, "4");
    assert_string_equal(xr_cell(ln, 1, c, sizeof c), "Tổng sản lượng lương thực có hạt");
    /* The row's sums share one scale (report.h): 1.146 may read 1.146,0. */
    assert_true(xr_vn_value(xr_cell(ln, 3, c, sizeof c)) == 1146.0); /* 573 + 573 */
    assert_true(xr_vn_value(xr_cell(ln, 4, c, sizeof c)) == 2920.0); /* 1.460 + 1.460 */
    assert_string_equal(xr_cell(ln, 5, c, sizeof c), "1.336,4");     /* 636,4 + 700 */
    assert_string_equal(xr_cell(ln, 6, c, sizeof c), "2");
    free(ln);
    nr = xr_line_with(out, "not reported");
    if (nr == NULL || strstr(nr, XUYEN) == NULL || strstr(nr, KIM) || strstr(nr, PHU))
        fail_msg("the rollup does not list only %s as not reported: [%s]", XUYEN, out);
    free(nr);
    free(out);

    out = DISTRICT_OUT(f, "--db", f->ddb, "rollup", "--report-kind", "so-ket-6-thang", "--period",
                       "2024-h1", "--json");
    doc = PARSE_OBJECT(out, "rollup --json");
    rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
    cJSON_ArrayForEach(it, rows)
    {
        const char *tt = xr_jstr(it, "tt");
        if (tt && strcmp(tt, "4") == 0)
            r4 = it;
    }
    assert_non_null(r4);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r4, "additive")));
    assert_string_equal(xr_jstr(r4, "est"), "1.336,4");
    rep = cJSON_GetObjectItemCaseSensitive(doc, "reported");
    mis = cJSON_GetObjectItemCaseSensitive(doc, "missing");
    assert_int_equal(cJSON_GetArraySize(rep), 2);
    assert_int_equal(cJSON_GetArraySize(mis), 1);
    assert_string_equal(cJSON_GetArrayItem(mis, 0)->valuestring, XUYEN);
    {
        int kim = 0, phu = 0;
        cJSON_ArrayForEach(it, rep)
        {
            kim += cJSON_IsString(it) && strcmp(it->valuestring, KIM) == 0;
            phu += cJSON_IsString(it) && strcmp(it->valuestring, PHU) == 0;
        }
        assert_int_equal(kim, 1);
        assert_int_equal(phu, 1);
    }
    cJSON_Delete(doc);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XR_NET(test_report__concurrent_edits_conflict_until_resolved),
        XR_NET(test_report__concurrent_inserts_keep_both_in_same_order),
        XR_NET(test_report__district_show_matches_pc_export),
        XR_NET(test_report__district_rollup_sums_communes),
    };

    return xt_tests_status(cmocka_run_group_tests_name("test_report_net", tests, NULL, NULL));
}
