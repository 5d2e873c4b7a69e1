/*
 * `xasync report import FILE.docx` (report/docx_read.c), the files it
 * reads: a clerk's Word file read into the same report model as the text
 * import, through the real `xasync` (which runs xasync-full for it).
 *
 * What must hold:
 *   1. The seed imported, exported as .docx, that .docx imported into a
 *      fresh database: the same fields, except where the .docx cannot carry
 *      them (the export writes the conversion leftovers "$…$", "\%",
 *      "<http://…>" as a person would, a "*" bullet as "-", an issuing body
 *      made from the place, and leaves the repeated table header to Word's
 *      w:tblHeader); the bold and italic runs come back as "**…**" and
 *      "*…*".  And docx → import → export docx → import gives the same
 *      fields and the same bytes.  So for every report of the corpus.
 *   2. Files xasync did not make: one LibreOffice made from an HTML page,
 *      one python-docx built (merged header cells, Word's own numbering and
 *      bullets, a two-column signature table): the header, title, headings,
 *      bold runs, bullets, the table's header lines and rows, the
 *      recipients and the signature come out in their fields.
 *
 * The harness: tests/support/docxfx.h.
 */
#include "docxfx.h"
#include "report_int.h"

#include <cjson/cJSON.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#ifndef XA_DOCX_MAKE
#error "XA_DOCX_MAKE must name tests/report/docx_make.py"
#endif

/* ---- 1. the seed, there and back -------------------------------------- */

static int has_leftover(const char *s)
{
    return strchr(s, '$') || strstr(s, "<http") || strchr(s, '\\');
}

static void test_docx_import__seed_round_trip(void **state)
{
    xi_fx *f = *state;
    char *d1 = xt_path(f->dir, "seed.docx"), *d2 = xt_path(f->dir, "again.docx");
    char *d3 = xt_path(f->dir, "third.docx");
    char *db2 = xi_new_db(f, "b.db"), *db3 = xi_new_db(f, "c.db");
    cJSON *a, *b, *c;
    const cJSON *x, *y;
    static const char *const same[] = {"kind",        "period",          "number", "place",
                                       "date",        "doctype",         "title",  "signer_role",
                                       "signer_name", "recipients_label"};
    size_t nb = 0, nbold = 0, nitalic = 0, nleft = 0, nstar = 0;

    xi_export_docx(f->db, d1);
    xi_import_ok(db2, d1);
    a = xi_report_json(f->db);
    b = xi_report_json(db2);
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (strcmp(xi_header(a, same[i]), xi_header(b, same[i])) != 0)
            fail_msg("header %s: \"%s\" came back as \"%s\"", same[i], xi_header(a, same[i]),
                     xi_header(b, same[i]));
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(a, "header"), "recipients"),
                              cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(b, "header"), "recipients"),
                              1));
    /* the seed names no issuing body; the .docx prints one from the place */
    assert_string_equal(xi_header(a, "body"), "");
    assert_string_equal(xi_header(b, "body"), "UBND XÃ HOÀNG KIM");

    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "blocks")),
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "blocks")));
    y = cJSON_GetObjectItemCaseSensitive(b, "blocks")->child;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "blocks"))
    {
        const char *ta = xi_str_of(x, "text"), *tb = xi_str_of(y, "text");
        const char *kind = xi_str_of(x, "kind");
        assert_string_equal(kind, xi_str_of(y, "kind"));
        assert_string_equal(xi_str_of(x, "num"), xi_str_of(y, "num"));
        if (has_leftover(ta)) {
            /* "$3.222/3.353 = 96,1\%$" is "3.222/3.353 = 96,1%" in Word */
            char *pa = xa_inline_plain(ta), *pb = xa_inline_plain(tb);
            assert_string_equal(pa, pb);
            assert_string_not_equal(ta, tb);
            free(pa);
            free(pb);
            nleft++;
        } else {
            /* bold and italic runs are "**…**" and "*…*" again */
            if (strcmp(ta, tb) != 0)
                fail_msg("block %s: \"%s\" came back as \"%s\"", xi_str_of(x, "id"), ta, tb);
            nbold += strstr(tb, "**") != NULL;
            nitalic += strncmp(tb, "*", 1) == 0 && strncmp(tb, "**", 2) != 0;
        }
        if (strcmp(xi_str_of(x, "marker"), "*") == 0) {
            assert_string_equal(xi_str_of(y, "marker"), "-"); /* Word prints "*" as "-" */
            nstar++;
        } else {
            assert_string_equal(xi_str_of(x, "marker"), xi_str_of(y, "marker"));
        }
        if (strcmp(kind, "row") == 0) {
            static const char *const keys[] = {"tt",  "name",    "unit",    "prev",   "plan",
                                               "est", "vs_prev", "vs_plan", "remain", "note"};
            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                assert_string_equal(xi_str_of(x, keys[k]), xi_str_of(y, keys[k]));
        }
        if (strcmp(kind, "table") == 0) {
            /* the header lines, the column numbers written plain
             * ("$5=4/2*100$" is "5=4/2*100"); the header repeated after the
             * page break is Word's to repeat (w:tblHeader), not a row */
            char *ha = xi_lines_of(x, "head"), *hb = xi_lines_of(y, "head");
            char *pa = xa_inline_plain(ha), *pb = xa_inline_plain(hb);
            assert_string_equal(pa, pb);
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(y, "head")), 4);
            assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(x, "head2")) > 0);
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(y, "head2")), 0);
            free(ha);
            free(hb);
            free(pa);
            free(pb);
        }
        y = y->next;
        nb++;
    }
    assert_true(nb > 100);
    assert_true(nbold >= 3); /* "**Địa điểm trụ sở chính:**", "**Tổ chức cơ sở Đảng:**" … */
    assert_true(nitalic >= 1); /* "- *Chính quyền*: …" */
    assert_true(nleft >= 1);
    assert_true(nstar >= 1);
    assert_non_null(
        strstr(xi_str_of(xi_block(b, "bullet", "text", "*Chính"), "text"), "*Chính quyền*:"));

    /* docx → import → export docx → import: the same fields, the same bytes */
    xi_export_docx(db2, d2);
    xi_import_ok(db3, d2);
    c = xi_report_json(db3);
    assert_true(cJSON_Compare(b, c, 1));
    xi_export_docx(db3, d3);
    assert_true(xt_file_digest(d2) == xt_file_digest(d3));
    {
        char *t2 = xi_export_fmt(db2, "text"), *t3 = xi_export_fmt(db3, "text");
        assert_string_equal(t2, t3);
        free(t2);
        free(t3);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    free(d1);
    free(d2);
    free(d3);
    free(db2);
    free(db3);
}

/* Every report of the corpus (tests/fixtures/reports, 21 real shapes)
 * through .docx and back: the same header, blocks and rows, but for what a
 * Word file cannot carry (as above), and the signer's role, which the .docx
 * prints in capitals ("(Đã ký)" comes back "(ĐÃ KÝ)"). */
static void test_docx_import__corpus_round_trip(void **state)
{
    xi_fx *f = *state;
    char pattern[4200], *slash;
    glob_t g;
    size_t done = 0;

    snprintf(pattern, sizeof(pattern), "%s", XA_SEED_REPORT);
    slash = strrchr(pattern, '/');
    assert_non_null(slash);
    strcpy(slash, "/reports/*.txt");
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *txt = g.gl_pathv[i], *base = strrchr(txt, '/') + 1;
        char name[300], *a_db, *b_db, *docx;
        cJSON *a, *b;
        const cJSON *x, *y;
        if (strncmp(base, "bad-", 4) == 0)
            continue;
        snprintf(name, sizeof(name), "%.*s-a.db", (int)(strlen(base) - 4), base);
        a_db = xi_new_db(f, name);
        name[strlen(name) - 4] = 'b';
        b_db = xi_new_db(f, name);
        snprintf(name, sizeof(name), "%.*s.docx", (int)(strlen(base) - 4), base);
        docx = xt_path(f->dir, name);
        xi_import_ok(a_db, txt);
        xi_export_docx(a_db, docx);
        xi_import_ok(b_db, docx);
        a = xi_report_json(a_db);
        b = xi_report_json(b_db);
        static const char *const same[] = {"kind",  "period",      "number",
                                           "place", "date",        "doctype",
                                           "title", "signer_name", "recipients_label"};
        for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
            if (strcmp(xi_header(a, same[k]), xi_header(b, same[k])) != 0)
                fail_msg("%s: header %s: \"%s\" came back as \"%s\"", base, same[k],
                         xi_header(a, same[k]), xi_header(b, same[k]));
        {
            char *ra = xa_vi_upper_str(xi_header(a, "signer_role"));
            assert_string_equal(ra, xi_header(b, "signer_role"));
            free(ra);
        }
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "blocks")),
                         cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "blocks")));
        y = cJSON_GetObjectItemCaseSensitive(b, "blocks")->child;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "blocks"))
        {
            static const char *const keys[] = {"kind",    "num",     "tt",     "name",
                                               "unit",    "prev",    "plan",   "est",
                                               "vs_prev", "vs_plan", "remain", "note"};
            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (strcmp(xi_str_of(x, keys[k]), xi_str_of(y, keys[k])) != 0)
                    fail_msg("%s: block %s %s: \"%s\" came back as \"%s\"", base,
                             xi_str_of(x, "id"), keys[k], xi_str_of(x, keys[k]),
                             xi_str_of(y, keys[k]));
            if (!has_leftover(xi_str_of(x, "text")) &&
                strcmp(xi_str_of(x, "text"), xi_str_of(y, "text")) != 0)
                fail_msg("%s: block %s: \"%s\" came back as \"%s\"", base, xi_str_of(x, "id"),
                         xi_str_of(x, "text"), xi_str_of(y, "text"));
            y = y->next;
        }
        cJSON_Delete(a);
        cJSON_Delete(b);
        free(a_db);
        free(b_db);
        free(docx);
        done++;
    }
    globfree(&g);
    assert_true(done >= 20);
}

/* ---- 2. files xasync did not make -------------------------------------- */

static void test_docx_import__libreoffice(void **state)
{
    xi_fx *f = *state;
    char *db, *docx;
    cJSON *j;
    char *s;

    if (xi_soffice() == NULL)
        xt_skip("LibreOffice (soffice) is not installed");
    docx = xi_lo_convert(f, "nga-thach", "docx:MS Word 2007 XML", "docx");
    db = xi_new_db(f, "lo.db");
    xi_import_ok(db, docx);
    j = xi_report_json(db);
    assert_string_equal(xi_header(j, "body"), "UBND HUYỆN NGA SƠN\nUBND XÃ NGA THẠCH");
    assert_string_equal(xi_header(j, "number"), "27/BC-UBND");
    assert_string_equal(xi_header(j, "place"), "Nga Thạch");
    assert_string_equal(xi_header(j, "date"), "ngày 15 tháng 12 năm 2024");
    assert_string_equal(xi_header(j, "doctype"), "BÁO CÁO");
    /* two centred lines of the title are one */
    assert_string_equal(xi_header(j, "title"),
                        "Tổng kết công tác thi đua khen thưởng năm 2024, phương hướng nhiệm vụ"
                        " năm 2025");
    assert_string_equal(xi_header(j, "signer_role"), "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
    assert_string_equal(xi_header(j, "signer_name"), "Mai Văn Hùng");
    assert_string_equal(xi_header(j, "recipients_label"), "Nơi nhận:");
    s = xi_lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện (B/c);\n- Lưu: VT.");
    free(s);
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "I."), "text"),
                        "ĐẶC ĐIỂM TÌNH HÌNH");
    assert_string_equal(xi_str_of(xi_block(j, "para", "text", "**Địa"), "text"),
                        "**Địa bàn:** xã có 6 thôn, 1.920 hộ.");
    xi_block(j, "bullet", "text", "Thôn Thạch Sơn làm tốt");
    xi_block(j, "bullet", "text", "Thôn Thạch Long về đích sớm.");
    /* <ol>: Word's numbering, written out */
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "1."), "text"),
                        "Kết quả thực hiện các chỉ tiêu");
    s = xi_lines_of(xi_block(j, "table", "kind", ""), "head");
    assert_string_equal(s, "TT\tChỉ tiêu\tĐơn vị tính\tKQ năm 2023\tKH năm 2024\tKết quả thực "
                           "hiện\t\t\tCòn phải thực hiện\tGhi chú\n"
                           "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t");
    free(s);
    xi_expect_row(j, (const char *const[]){"1", "Tổng sản lượng lương thực", "tấn", "5.120",
                                           "5.200", "5.310", "103,7", "102,1", "", ""});
    xi_expect_row(j, (const char *const[]){"2", "Thu ngân sách", "Trđ", "8.400", "9.000", "9.450",
                                           "112,5", "105,0", "", "Vượt kế hoạch"});
    xi_block(j, "para", "text", "Trên đây là báo cáo tổng kết năm 2024");
    cJSON_Delete(j);
    free(db);
    free(docx);
}

static void test_docx_import__python_docx(void **state)
{
    xi_fx *f = *state;
    char *docx = xt_path(f->dir, "hoang-phong.docx"), *db;
    const char *py = getenv("XA_PYTHON3");
    xt_run r;
    cJSON *j;
    char *s;

    if (py == NULL || py[0] == '\0' || access(py, X_OK) != 0)
        py = "/usr/bin/python3";
    if (access(py, X_OK) != 0)
        xt_skip("python3 is not installed");
    r = xt_exec(py, (const char *const[]){XA_DOCX_MAKE, "python-docx", docx, NULL}, NULL, NULL);
    if (r.status == 77) {
        xt_run_free(&r);
        xt_skip("python3-docx is not installed");
    }
    if (r.status != 0)
        fail_msg("docx_make.py: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    db = xi_new_db(f, "pd.db");
    xi_import_ok(db, docx);
    j = xi_report_json(db);
    assert_string_equal(xi_header(j, "body"), "UBND HUYỆN HOẰNG HÓA\nUBND XÃ HOẰNG PHONG");
    assert_string_equal(xi_header(j, "number"), "88/BC-UBND");
    assert_string_equal(xi_header(j, "place"), "Hoằng Phong");
    assert_string_equal(xi_header(j, "date"), "ngày 20 tháng 6 năm 2024");
    assert_string_equal(xi_header(j, "title"),
                        "Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm,"
                        " triển khai nhiệm vụ 6 tháng cuối năm 2024");
    /* kind and period follow from the title and date, as for a text file */
    assert_string_equal(xi_header(j, "kind"), "so-ket-6-thang");
    assert_string_equal(xi_header(j, "period"), "2024-h1");
    assert_string_equal(xi_header(j, "signer_role"), "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
    assert_string_equal(xi_header(j, "signer_name"), "Lê Văn Tám");
    s = xi_lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện Hoằng Hóa (B/c);\n- Lưu: VT.");
    free(s);
    /* a heading bold throughout is a heading, not a bold run */
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "I."), "text"),
                        "ĐẶC ĐIỂM TÌNH HÌNH");
    assert_string_equal(xi_str_of(xi_block(j, "para", "text", "**"), "text"),
                        "**Dân số:** 2.140 hộ, 8.012 người; diện tích tự nhiên 512,4 ha.");
    /* List Number: Word's 1. and 2.; List Bullet: a dash */
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "1."), "text"),
                        "Kết quả thực hiện các chỉ tiêu");
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "2."), "text"),
                        "Tổ chức thực hiện các phong trào thi đua");
    assert_string_equal(xi_str_of(xi_block(j, "bullet", "text", "Thôn Phú Xuân"), "marker"), "-");
    xi_block(j, "bullet", "text", "Thôn Đông Khê về đích");
    xi_block(j, "heading", "num", "2.1.");
    /* merged across (gridSpan) and down (vMerge): the text form's lines */
    s = xi_lines_of(xi_block(j, "table", "kind", ""), "head");
    assert_string_equal(s, "TT\tChỉ tiêu\tĐơn vị tính\tKQ 6 tháng năm 2023\tKH năm 2024\tKết quả "
                           "thực hiện\t\t\tCòn phải thực hiện\tGhi chú\n"
                           "\t\t\t\t\t6 tháng đầu năm\t\t\t\t\n"
                           "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t\n"
                           "A\tB\tC\t1\t2\t3\t4=3/1\t5=3/2\t6=2-3\t7");
    free(s);
    xi_expect_row(j, (const char *const[]){"I", "Về kinh tế", "", "", "", "", "", "", "", ""});
    xi_expect_row(j, (const char *const[]){"1", "Tổng sản lượng lương thực", "tấn", "600", "1.400",
                                           "650", "108,3", "46,4", "750", ""});
    xi_expect_row(j, (const char *const[]){"2", "Thu ngân sách", "Trđ", "4.100", "9.000", "5.200",
                                           "126,8", "57,8", "3.800", "Vượt cùng kỳ"});
    cJSON_Delete(j);
    free(db);
    free(docx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_docx_import__seed_round_trip, xi_setup, xi_teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__corpus_round_trip, xi_setup, xi_teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__libreoffice, xi_setup, xi_teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__python_docx, xi_setup, xi_teardown),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
