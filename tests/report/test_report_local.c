/*
 * The commune report (docs/design.md, "The report on top of fields";
 * include/xasync/report.h): the real `xasync report …` and
 * `xasync-district` processes on real database files, with the seed report
 * tests/fixtures/bao-cao-so-ket-6-thang-2024.txt.  The harness and the cast:
 * tests/support/reportfx.h.
 *
 * What must hold:
 *   1. Importing the seed places every line (35 headings, 32 paragraphs, 48
 *      bullets, 1 table of 29 rows and 140 cells) with no warning, and
 *      exporting it gives the seed back, up to blank lines and spaces.
 *   2. Figures are read and written in the Vietnamese format; the derived
 *      columns are recomputed once a figure is edited; every edit is in the
 *      history with its before and after.
 *   3. `report check` flags the seed's inconsistent figures (exit 1) and a
 *      consistent report has nothing to flag (exit 0).
 *   Blocks are added and deleted.
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
/* Import and export                                                       */

static void test_report__import_seed_counts_and_fields(void **state)
{
    xr_fx *f = *state;
    xr_counts c = IMPORT_SEED(f, f->a);
    char *out;

    assert_int_equal(c.headings, 35);
    assert_int_equal(c.paras, 32);
    assert_int_equal(c.bullets, 48);
    assert_int_equal(c.tables, 1);
    assert_int_equal(c.rows, 29);
    assert_int_equal(c.cells, 140);

    out = XA_OUT(f, "--db", f->a, "report", "list");
    assert_string_equal(out, REPORT "\n");
    free(out);
    out = XA_OUT(f, "--db", f->a, "get", REPORT, "kind");
    assert_string_equal(out, "so-ket-6-thang\n");
    free(out);
    out = XA_OUT(f, "--db", f->a, "get", REPORT, "period");
    assert_string_equal(out, "2024-h1\n");
    free(out);
}

static void test_report__outline_lists_parts_and_headings_in_order(void **state)
{
    xr_fx *f = *state;
    /* Some of the seed's parts and headings, in the order they come. */
    static const char *const want[] = {"Phần thứ nhất", "I.",   "II.",  "2.1.",
                                       "2.2.",          "2.3.", "III.", "IV.",
                                       "Phần thứ hai",  "1.1.", "1.2",  "1.9."};
    size_t next = 0, nparts = 0, nheadings = 0, ntables = 0, i = 0;
    char *out, *text;
    cJSON *arr, *it, *first, *h21 = NULL;

    IMPORT_SEED(f, f->a);
    out = XA_OUT(f, "--db", f->a, "report", "outline", "--json");
    arr = PARSE_ARRAY(out, "report outline --json");
    first = cJSON_GetArrayItem(arr, 0);
    assert_non_null(first);
    assert_string_equal(xr_jstr(first, "kind"), "part");
    assert_string_equal(xr_jstr(first, "num"), "Phần thứ nhất");
    cJSON_ArrayForEach(it, arr)
    {
        const char *k = xr_jstr(it, "kind"), *num = xr_jstr(it, "num"), *path = xr_jstr(it, "path");

        if (k == NULL || num == NULL || path == NULL || xr_jstr(it, "text") == NULL)
            fail_msg("outline entry %zu lacks kind, num, text or path", i);
        if (strcmp(k, "part") == 0)
            nparts++;
        else if (strcmp(k, "heading") == 0)
            nheadings++;
        else if (strcmp(k, "table") == 0)
            ntables++;
        else
            fail_msg("outline entry %zu is a %s: only parts, headings and tables belong", i, k);
        if (next < sizeof want / sizeof want[0] &&
            strncmp(num, want[next], strlen(want[next])) == 0)
            next++;
        if (strcmp(num, "2.1.") == 0)
            h21 = it;
        i++;
    }
    if (next != sizeof want / sizeof want[0])
        fail_msg("the outline lacks '%s' (or has it out of order)", want[next]);
    /* The import counts parts as headings. */
    assert_int_equal(nparts + nheadings, 35);
    assert_int_equal(ntables, 1);
    assert_non_null(h21);
    assert_string_equal(xr_jstr(h21, "text"), H21_TEXT);

    /* The text form names the same headings, with their paths. */
    text = XA_OUT(f, "--db", f->a, "report", "outline");
    assert_non_null(strstr(text, "2.1. Kết quả thực hiện"));
    assert_non_null(strstr(text, "Phần thứ nhất"));

    /* A path the JSON outline gives is a path `report edit` takes, as in
     * the text outline ("b/ID"). */
    {
        const char *p = xr_jstr(h21, "path");
        char *ln = xr_line_with(text, "2.1. Kết quả");
        char tpath[64];

        assert_non_null(ln);
        assert_int_equal(sscanf(ln, " %63s", tpath), 1);
        if (strcmp(p, tpath) != 0)
            fail_msg("outline --json gives 2.1. the path [%s]; the text outline [%s] (report.h: "
                     "b/<id>)",
                     p, tpath);
        free(ln);
    }
    free(text);
    cJSON_Delete(arr);
    free(out);
}

static void test_report__export_round_trips_the_seed(void **state)
{
    xr_fx *f = *state;
    char *seed = xr_seed_text(), *out;

    IMPORT_SEED(f, f->a);
    out = EXPORT(f, f->a);
    SAME_TEXT(seed, out, "seed", "export");
    free(out);
    free(seed);
}

/* ---------------------------------------------------------------------- */
/* Edits                                                                   */

static void test_report__edit_figure_recomputes_derived_columns(void **state)
{
    xr_fx *f = *state;
    char *out, *ln, *log, c[64];

    IMPORT_SEED(f, f->a);
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "4");
    assert_string_equal(xr_cell(ln, 5, c, sizeof c), "636,4");
    free(ln);
    free(out);

    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "4");
    assert_string_equal(xr_cell(ln, 1, c, sizeof c), "Tổng sản lượng lương thực có hạt");
    assert_string_equal(xr_cell(ln, 3, c, sizeof c), "573");
    assert_string_equal(xr_cell(ln, 4, c, sizeof c), "1.460");
    assert_string_equal(xr_cell(ln, 5, c, sizeof c), "640");
    assert_string_equal(xr_cell(ln, 6, c, sizeof c), "111,7"); /* 640/573 */
    assert_string_equal(xr_cell(ln, 7, c, sizeof c), "43,8");  /* 640/1.460 */
    assert_string_equal(xr_cell(ln, 8, c, sizeof c), "820");   /* 1.460-640 */
    free(ln);
    /* Row 5 is untouched: printed as imported. */
    ln = ROW_LINE(out, "5");
    assert_string_equal(xr_cell(ln, 7, c, sizeof c), "56,6");
    free(ln);
    free(out);

    log = XA_OUT(f, "--db", f->a, "log");
    ln = xr_line_with(log, "636,4 -> 640");
    if (ln == NULL)
        fail_msg("the log does not show the edit 636,4 -> 640: [...%s]",
                 strlen(log) > 800 ? log + strlen(log) - 800 : log);
    assert_non_null(strstr(ln, AUTHOR_A));
    assert_non_null(strstr(ln, "est"));
    free(ln);
    free(log);
}

static void test_report__edit_header_and_heading(void **state)
{
    xr_fx *f = *state;
    char *out, *log;
    xr_nlines l;
    cJSON *doc, *hdr;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "header/so", "15/BC-UBND");
    XA_DO(f, "--db", f->a, "report", "edit", "2.1", "Kết quả các phong trào thi đua (sửa)");

    out = EXPORT(f, f->a);
    l = xr_normalize(out);
    assert_true(l.n > 0);
    assert_string_equal(l.v[0].s, "Số: 15/BC-UBND");
    xr_nlines_free(&l);
    assert_non_null(strstr(out, "\n2.1. Kết quả các phong trào thi đua (sửa)\n"));
    assert_null(strstr(out, H21_TEXT));
    free(out);

    log = XA_OUT(f, "--db", f->a, "log");
    if (strstr(log, "/BC-UBND -> 15/BC-UBND") == NULL)
        fail_msg("the log does not show the number's edit /BC-UBND -> 15/BC-UBND");
    if (strstr(log, H21_TEXT " -> Kết quả các phong trào thi đua (sửa)") == NULL)
        fail_msg("the log does not show the heading's edit with before and after");
    free(log);

    doc = xr_export_json(f, f->a);
    hdr = cJSON_GetObjectItemCaseSensitive(doc, "header");
    assert_true(cJSON_IsObject(hdr));
    assert_string_equal(xr_jstr(hdr, "number"), "15/BC-UBND");
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "blocks")));
    cJSON_Delete(doc);
}

static void test_report__html_export_is_a_full_page(void **state)
{
    xr_fx *f = *state;
    char *html;
    size_t n;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    html = XA_OUT(f, "--db", f->a, "report", "export", "--format", "html");
    n = strlen(html);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    while (n && (html[n - 1] == '\n' || html[n - 1] == ' '))
        n--;
    assert_true(n >= 7 && strncmp(html + n - 7, "</html>", 7) == 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, MOTTO));
    assert_non_null(strstr(html, "Tổng sản lượng lương thực có hạt"));
    assert_non_null(strstr(html, "<table"));
    assert_non_null(strstr(html, ">640<"));
    assert_non_null(strstr(html, ">111,7<"));
    assert_non_null(strstr(html, "2.1."));
    free(html);
}

/* ---------------------------------------------------------------------- */
/* Check                                                                   */

static void test_report__check_flags_the_seed_figures(void **state)
{
    xr_fx *f = *state;
    xt_run r;
    cJSON *arr, *it;

    IMPORT_SEED(f, f->a);
    r = xr_xa(f, ARGV("--db", f->a, "report", "check"));
    if (r.status != 1)
        fail_msg("check of the seed: expected exit 1, got %d: [%s] [%s]", r.status, r.out, r.err);
    for (size_t i = 0; i < 6; i++) {
        static const char *const need[] = {"ind/4", "824", "823,6", "ind/5", "56,6", "56,7"};
        if (strstr(r.out, need[i]) == NULL)
            fail_msg("check does not say '%s': [%s]", need[i], r.out);
    }
    {
        char *l9 = xr_line_with(r.out, " ind/9/"), *l12 = xr_line_with(r.out, " ind/12/");
        if (l9 == NULL || strstr(l9, "%") == NULL)
            fail_msg("check does not flag the unit %% of ind/9: [%s]", r.out);
        if (l12 == NULL)
            fail_msg("check does not flag ind/12: [%s]", r.out);
        free(l9);
        free(l12);
    }
    xt_run_free(&r);

    r = xr_xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    assert_int_equal(r.status, 1);
    arr = PARSE_ARRAY(r.out, "report check --json");
    assert_true(cJSON_GetArraySize(arr) >= 4);
    cJSON_ArrayForEach(it, arr)
    {
        const char *w = xr_jstr(it, "where"), *vi = xr_jstr(it, "vi"), *en = xr_jstr(it, "en");
        if (w == NULL || vi == NULL || en == NULL || !w[0] || !vi[0] || !en[0])
            fail_msg("a finding without where, vi and en: [%s]", r.out);
    }
    assert_true(xr_flagged(arr, "ind/4"));
    assert_true(xr_flagged(arr, "ind/5"));
    assert_true(xr_flagged(arr, "ind/9"));
    assert_true(xr_flagged(arr, "ind/12"));
    cJSON_Delete(arr);
    xt_run_free(&r);
}

static void test_report__check_clears_after_estimate_edited(void **state)
{
    xr_fx *f = *state;
    xt_run r;
    cJSON *arr;
    char *out, *ln, c[64];

    IMPORT_SEED(f, f->a);
    /* The same figure typed again changes nothing: the printed 56,6 is
     * still about these figures, and still wrong. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/5/est", "8,5");
    r = xr_xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    arr = PARSE_ARRAY(r.out, "report check --json");
    assert_true(xr_flagged(arr, "ind/5"));
    cJSON_Delete(arr);
    xt_run_free(&r);
    /* A new figure: the printed ratios no longer apply and are computed. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/5/est", "9");
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "5");
    assert_string_equal(xr_cell(ln, 5, c, sizeof c), "9");
    assert_string_equal(xr_cell(ln, 6, c, sizeof c), "46,2");
    assert_string_equal(xr_cell(ln, 7, c, sizeof c), "60,0");
    assert_string_equal(xr_cell(ln, 8, c, sizeof c), "6");
    free(ln);
    free(out);

    r = xr_xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    assert_int_equal(r.status, 1); /* the other findings stay */
    arr = PARSE_ARRAY(r.out, "report check --json");
    if (xr_flagged(arr, "ind/5"))
        fail_msg("ind/5 is still flagged once its ratios are computed: [%s]", r.out);
    assert_true(xr_flagged(arr, "ind/4"));
    cJSON_Delete(arr);
    xt_run_free(&r);
}

/* A report in the seed's form with nothing wrong: a header and a table of
 * one consistent row. */
static const char clean_report[] =
    "Số: 01/BC-UBND\n\n"
    "Hoàng Phú, ngày 5 tháng 7 năm 2024\n\n"
    "BÁO CÁO\n\n"
    "Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm 2024\n\n"
    "TT\tChỉ tiêu\tĐơn vị tính\tKQ thực hiện 6 tháng năm 2023\tKH năm 2024\tƯớc thực hiện\t"
    "So với cùng kỳ (%)\tSo với kế hoạch (%)\tCòn phải thực hiện\tGhi chú\n"
    "A\tB\tI\t2\t3\t4\t5=4/2*100\t6=4/3*100\t7=3-4\t8\n"
    "1\tTổng sản lượng lương thực có hạt\ttấn\t500\t1.000\t600\t120,0\t60,0\t400\t\n";

static void test_report__check_clean_report_has_nothing_to_flag(void **state)
{
    xr_fx *f = *state;
    char *path = xt_path(f->dir, "clean.txt"), *out;
    xr_counts c;
    xt_run r;

    xt_write_file(path, clean_report, strlen(clean_report));
    c = xr_import_at(f, f->a, path, __FILE__, __LINE__);
    assert_int_equal(c.tables, 1);
    assert_int_equal(c.rows, 1);
    r = xr_xa(f, ARGV("--db", f->a, "report", "check"));
    if (r.status != 0 || strstr(r.out, "Nothing to flag") == NULL)
        fail_msg("check of a clean report: expected exit 0 and 'Nothing to flag', got %d: [%s] "
                 "[%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    out = XA_OUT(f, "--db", f->a, "report", "check", "--json");
    cJSON *arr = PARSE_ARRAY(out, "report check --json");
    assert_int_equal(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    free(out);
    free(path);
}

/* ---------------------------------------------------------------------- */
/* Adding and deleting blocks                                              */

static void test_report__add_para_after_heading_and_delete(void **state)
{
    xr_fx *f = *state;
    char *seed = xr_seed_text(), *id, *out;
    size_t n;
    xr_nlines l;
    int at = -1;

    IMPORT_SEED(f, f->a);
    id = XA_OUT(f, "--db", f->a, "report", "add", "para", "Đoạn mới", "--after", "2.1");
    n = strlen(id);
    if (n < 4 || strncmp(id, "b/", 2) != 0 || id[n - 1] != '\n' || strcspn(id, " \t") != n)
        fail_msg("report add printed [%s], not b/<id>", id);
    id[n - 1] = '\0';

    out = EXPORT(f, f->a);
    l = xr_normalize(out);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.v[i].s, "2.1. " H21_TEXT) == 0)
            at = (int)i;
    assert_true(at >= 0);
    assert_true((size_t)at + 1 < l.n);
    if (strcmp(l.v[at + 1].s, "Đoạn mới") != 0)
        fail_msg("after the 2.1 heading comes [%s], not the new paragraph", l.v[at + 1].s);
    xr_nlines_free(&l);
    free(out);

    XA_DO(f, "--db", f->a, "report", "delete", id);
    out = EXPORT(f, f->a);
    assert_null(strstr(out, "Đoạn mới"));
    SAME_TEXT(seed, out, "seed", "export");
    free(out);
    free(id);
    free(seed);
}

static void test_report__delete_row_removes_it_from_table(void **state)
{
    xr_fx *f = *state;
    char *out, *ln, ent[96];
    cJSON *doc;

    IMPORT_SEED(f, f->a);
    doc = xr_export_json(f, f->a);
    xr_block_entity(doc, "row", "5", ent, sizeof ent);
    cJSON_Delete(doc);
    /* "report-2024-h1/b/ID" -> "b/ID" */
    XA_DO(f, "--db", f->a, "report", "delete", ent + strlen(REPORT) + 1);

    out = EXPORT(f, f->a);
    assert_null(xr_line_starting(out, "5\t"));
    assert_null(strstr(out, "Tổng sản lượng thủy sản"));
    ln = ROW_LINE(out, "4");
    free(ln);
    ln = ROW_LINE(out, "6");
    free(ln);
    free(out);
    /* A deleted row is no longer a cell to edit. */
    FAILS(f, f->a, 1, "5", "--db", f->a, "report", "edit", "ind/5/est", "9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XR_LOCAL(test_report__import_seed_counts_and_fields),
        XR_LOCAL(test_report__outline_lists_parts_and_headings_in_order),
        XR_LOCAL(test_report__export_round_trips_the_seed),
        XR_LOCAL(test_report__edit_figure_recomputes_derived_columns),
        XR_LOCAL(test_report__edit_header_and_heading),
        XR_LOCAL(test_report__html_export_is_a_full_page),
        XR_LOCAL(test_report__check_flags_the_seed_figures),
        XR_LOCAL(test_report__check_clears_after_estimate_edited),
        XR_LOCAL(test_report__check_clean_report_has_nothing_to_flag),
        XR_LOCAL(test_report__add_para_after_heading_and_delete),
        XR_LOCAL(test_report__delete_row_removes_it_from_table),
    };

    return xt_tests_status(cmocka_run_group_tests_name("test_report_local", tests, NULL, NULL));
}
