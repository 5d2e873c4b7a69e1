/*
 * `xasync report import FILE.docx` (report/docx_read.c): a clerk's Word file
 * read into the same report model as the text import, through the real
 * `xasync` (which runs xasync-full for it).
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
 *   3. Every bad input (empty, damaged zip, damaged part, malformed XML, a
 *      Word 97 .doc, an encrypted .docx, an .odt, a zip that is no Word
 *      document, zip bombs by size and by ratio, an external entity in
 *      document.xml and in styles.xml, a part in UTF-16): a message in English and
 *      Vietnamese, exit 1, the database unchanged; the entity's file is
 *      never read.
 *   4. A paragraph the importer cannot place is named by its place in the
 *      Word file ("đoạn 11 / paragraph 11"), refused, or kept with --force.
 *   5. Pictures, footnotes (what a report cannot hold) are said in a
 *      warning; a text box's paragraphs are read once; a signature table
 *      with a spacer column gives the recipients and the signature.
 */
#include "report_int.h"
#include "support.h"

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

typedef struct fx {
    char *dir, *db;
} fx;

static xt_run run_db(const char *db, const char *const *argv)
{
    char env[4200];
    const char *e[] = {env, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    snprintf(env, sizeof(env), "XASYNC_DB=%s", db);
    return xt_xasync(argv, NULL, e);
}

/* A fresh database dir/name of commune hoang-kim (malloc'd path). */
static char *new_db(fx *f, const char *name)
{
    char *db = xt_path(f->dir, name);
    xt_run r = run_db(db, (const char *const[]){"init", "--scope", "hoang-kim", NULL});

    if (r.status != 0)
        fail_msg("init: %s", r.err);
    xt_run_free(&r);
    return db;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    xt_run r;

    f->dir = xt_tempdir();
    f->db = new_db(f, "a.db");
    r = run_db(f->db, (const char *const[]){"report", "import", XA_SEED_REPORT, NULL});
    if (r.status != 0)
        fail_msg("import: %s", r.err);
    xt_run_free(&r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    xt_rmdir(f->dir);
    free(f->db);
    free(f);
    return 0;
}

static void import_ok(const char *db, const char *file)
{
    xt_run r = run_db(db, (const char *const[]){"report", "import", file, NULL});

    if (r.status != 0)
        fail_msg("import %s: exit %d: %s", file, r.status, r.err);
    assert_non_null(strstr(r.out, "imported report report-2024-h1"));
    xt_run_free(&r);
}

static void export_docx(const char *db, const char *out)
{
    xt_run r =
        run_db(db, (const char *const[]){"report", "export", "--format", "docx", "-o", out, NULL});

    if (r.status != 0)
        fail_msg("export docx: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
}

static char *export_fmt(const char *db, const char *fmt)
{
    xt_run r = run_db(db, (const char *const[]){"report", "export", "--format", fmt, NULL});
    char *out;

    if (r.status != 0)
        fail_msg("export %s: exit %d: %s", fmt, r.status, r.err);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

static cJSON *report_json(const char *db)
{
    char *s = export_fmt(db, "json");
    cJSON *j = cJSON_Parse(s);

    if (j == NULL)
        fail_msg("export json is not JSON: %.200s", s);
    free(s);
    return j;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *header(const cJSON *j, const char *key)
{
    return str_of(cJSON_GetObjectItemCaseSensitive(j, "header"), key);
}

/* The lines of an array field joined by "\n" (malloc'd). */
static char *lines_of(const cJSON *o, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *x;
    xa_sb b = {0};

    xa_sb_puts(&b, "");
    cJSON_ArrayForEach(x, a)
    {
        if (b.n)
            xa_sb_puts(&b, "\n");
        xa_sb_puts(&b, cJSON_IsString(x) ? x->valuestring : "?");
    }
    return b.p;
}

/* The first live block of a kind whose text (or num) starts with `pre`. */
static const cJSON *block(const cJSON *j, const char *kind, const char *key, const char *pre)
{
    const cJSON *b;

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "blocks"))
    {
        if (strcmp(str_of(b, "kind"), kind) == 0 &&
            strncmp(str_of(b, key), pre, strlen(pre)) == 0 &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "deleted")))
            return b;
    }
    fail_msg("no %s block with %s starting \"%s\"", kind, key, pre);
    return NULL;
}

static const cJSON *row(const cJSON *j, const char *tt)
{
    return block(j, "row", "tt", tt);
}

static void expect_row(const cJSON *j, const char *const cols[10])
{
    static const char *const keys[10] = {"tt",  "name",    "unit",    "prev",   "plan",
                                         "est", "vs_prev", "vs_plan", "remain", "note"};
    const cJSON *r = row(j, cols[0]);

    for (int k = 0; k < 10; k++)
        if (strcmp(str_of(r, keys[k]), cols[k]) != 0)
            fail_msg("row %s %s: \"%s\", not \"%s\"", cols[0], keys[k], str_of(r, keys[k]),
                     cols[k]);
}

/* ---- 1. the seed, there and back -------------------------------------- */

static int has_leftover(const char *s)
{
    return strchr(s, '$') || strstr(s, "<http") || strchr(s, '\\');
}

static void test_docx_import__seed_round_trip(void **state)
{
    fx *f = *state;
    char *d1 = xt_path(f->dir, "seed.docx"), *d2 = xt_path(f->dir, "again.docx");
    char *d3 = xt_path(f->dir, "third.docx");
    char *db2 = new_db(f, "b.db"), *db3 = new_db(f, "c.db");
    cJSON *a, *b, *c;
    const cJSON *x, *y;
    static const char *const same[] = {"kind",        "period",          "number", "place",
                                       "date",        "doctype",         "title",  "signer_role",
                                       "signer_name", "recipients_label"};
    size_t nb = 0, nbold = 0, nitalic = 0, nleft = 0, nstar = 0;

    export_docx(f->db, d1);
    import_ok(db2, d1);
    a = report_json(f->db);
    b = report_json(db2);
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (strcmp(header(a, same[i]), header(b, same[i])) != 0)
            fail_msg("header %s: \"%s\" came back as \"%s\"", same[i], header(a, same[i]),
                     header(b, same[i]));
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(a, "header"), "recipients"),
                              cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(b, "header"), "recipients"),
                              1));
    /* the seed names no issuing body; the .docx prints one from the place */
    assert_string_equal(header(a, "body"), "");
    assert_string_equal(header(b, "body"), "UBND XÃ HOÀNG KIM");

    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "blocks")),
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "blocks")));
    y = cJSON_GetObjectItemCaseSensitive(b, "blocks")->child;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a, "blocks"))
    {
        const char *ta = str_of(x, "text"), *tb = str_of(y, "text");
        const char *kind = str_of(x, "kind");
        assert_string_equal(kind, str_of(y, "kind"));
        assert_string_equal(str_of(x, "num"), str_of(y, "num"));
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
                fail_msg("block %s: \"%s\" came back as \"%s\"", str_of(x, "id"), ta, tb);
            nbold += strstr(tb, "**") != NULL;
            nitalic += strncmp(tb, "*", 1) == 0 && strncmp(tb, "**", 2) != 0;
        }
        if (strcmp(str_of(x, "marker"), "*") == 0) {
            assert_string_equal(str_of(y, "marker"), "-"); /* Word prints "*" as "-" */
            nstar++;
        } else {
            assert_string_equal(str_of(x, "marker"), str_of(y, "marker"));
        }
        if (strcmp(kind, "row") == 0) {
            static const char *const keys[] = {"tt",  "name",    "unit",    "prev",   "plan",
                                               "est", "vs_prev", "vs_plan", "remain", "note"};
            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                assert_string_equal(str_of(x, keys[k]), str_of(y, keys[k]));
        }
        if (strcmp(kind, "table") == 0) {
            /* the header lines, the column numbers written plain
             * ("$5=4/2*100$" is "5=4/2*100"); the header repeated after the
             * page break is Word's to repeat (w:tblHeader), not a row */
            char *ha = lines_of(x, "head"), *hb = lines_of(y, "head");
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
    assert_non_null(strstr(str_of(block(b, "bullet", "text", "*Chính"), "text"), "*Chính quyền*:"));

    /* docx → import → export docx → import: the same fields, the same bytes */
    export_docx(db2, d2);
    import_ok(db3, d2);
    c = report_json(db3);
    assert_true(cJSON_Compare(b, c, 1));
    export_docx(db3, d3);
    assert_true(xt_file_digest(d2) == xt_file_digest(d3));
    {
        char *t2 = export_fmt(db2, "text"), *t3 = export_fmt(db3, "text");
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
    fx *f = *state;
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
        a_db = new_db(f, name);
        name[strlen(name) - 4] = 'b';
        b_db = new_db(f, name);
        snprintf(name, sizeof(name), "%.*s.docx", (int)(strlen(base) - 4), base);
        docx = xt_path(f->dir, name);
        import_ok(a_db, txt);
        export_docx(a_db, docx);
        import_ok(b_db, docx);
        a = report_json(a_db);
        b = report_json(b_db);
        static const char *const same[] = {"kind",  "period",      "number",
                                           "place", "date",        "doctype",
                                           "title", "signer_name", "recipients_label"};
        for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
            if (strcmp(header(a, same[k]), header(b, same[k])) != 0)
                fail_msg("%s: header %s: \"%s\" came back as \"%s\"", base, same[k],
                         header(a, same[k]), header(b, same[k]));
        {
            char *ra = xa_vi_upper_str(header(a, "signer_role"));
            assert_string_equal(ra, header(b, "signer_role"));
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
                if (strcmp(str_of(x, keys[k]), str_of(y, keys[k])) != 0)
                    fail_msg("%s: block %s %s: \"%s\" came back as \"%s\"", base, str_of(x, "id"),
                             keys[k], str_of(x, keys[k]), str_of(y, keys[k]));
            if (!has_leftover(str_of(x, "text")) &&
                strcmp(str_of(x, "text"), str_of(y, "text")) != 0)
                fail_msg("%s: block %s: \"%s\" came back as \"%s\"", base, str_of(x, "id"),
                         str_of(x, "text"), str_of(y, "text"));
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

static const char LO_HTML[] =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bc</title></head><body>\n"
    "<table style=\"width:100%\"><tr><td style=\"text-align:center\"><p>UBND HUYỆN NGA SƠN</p>"
    "<p><b>UBND XÃ NGA THẠCH</b></p><p>Số: 27/BC-UBND</p></td>\n"
    "<td style=\"text-align:center\"><p><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></p>"
    "<p><b>Độc lập - Tự do - Hạnh phúc</b></p>"
    "<p><i>Nga Thạch, ngày 15 tháng 12 năm 2024</i></p></td></tr></table>\n"
    "<p align=\"center\"><b>BÁO CÁO</b></p>\n"
    "<p align=\"center\"><b>Tổng kết công tác thi đua khen thưởng năm 2024,</b></p>\n"
    "<p align=\"center\"><b>phương hướng nhiệm vụ năm 2025</b></p>\n"
    "<p>Thực hiện hướng dẫn của UBND huyện, UBND xã Nga Thạch báo cáo như sau:</p>\n"
    "<p>I. ĐẶC ĐIỂM TÌNH HÌNH</p>\n"
    "<p><b>Địa bàn:</b> xã có 6 thôn, 1.920 hộ.</p>\n"
    "<ul><li>Thôn Thạch Sơn làm tốt công tác vệ sinh môi trường.</li>"
    "<li>Thôn Thạch Long về đích sớm.</li></ul>\n"
    "<ol><li>Kết quả thực hiện các chỉ tiêu</li></ol>\n"
    "<table border=\"1\">\n"
    "<tr><td rowspan=\"2\">TT</td><td rowspan=\"2\">Chỉ tiêu</td><td rowspan=\"2\">Đơn vị "
    "tính</td><td rowspan=\"2\">KQ năm 2023</td><td rowspan=\"2\">KH năm 2024</td>"
    "<td colspan=\"3\">Kết quả thực hiện</td><td rowspan=\"2\">Còn phải thực hiện</td>"
    "<td rowspan=\"2\">Ghi chú</td></tr>\n"
    "<tr><td>Ước thực hiện</td><td>So với cùng kỳ (%)</td><td>So với kế hoạch (%)</td></tr>\n"
    "<tr><td>1</td><td>Tổng sản lượng lương thực</td><td>tấn</td><td>5.120</td><td>5.200</td>"
    "<td>5.310</td><td>103,7</td><td>102,1</td><td></td><td></td></tr>\n"
    "<tr><td>2</td><td>Thu ngân sách</td><td>Trđ</td><td>8.400</td><td>9.000</td><td>9.450</td>"
    "<td>112,5</td><td>105,0</td><td></td><td>Vượt kế hoạch</td></tr>\n"
    "</table>\n"
    "<p>Trên đây là báo cáo tổng kết năm 2024 của UBND xã Nga Thạch./.</p>\n"
    "<table><tr><td><p><b><i>Nơi nhận:</i></b></p><p>- UBND huyện (B/c);</p><p>- Lưu: VT.</p></td>"
    "<td style=\"text-align:center\"><p><b>TM. ỦY BAN NHÂN DÂN</b></p><p><b>CHỦ TỊCH</b></p>"
    "<p></p><p><b>Mai Văn Hùng</b></p></td></tr></table>\n"
    "</body></html>\n";

/* The soffice the build found, or NULL. */
static const char *soffice(void)
{
    const char *s = getenv("XA_SOFFICE");

    return s && s[0] && access(s, X_OK) == 0 ? s : NULL;
}

/* LibreOffice converts dir/name.html to `fmt` ("docx:MS Word 2007 XML");
 * the result's path (malloc'd). */
static char *lo_convert(fx *f, const char *name, const char *fmt, const char *ext)
{
    char *html, *prof, *out;
    char base[64], profile[4300];
    xt_run r;

    snprintf(base, sizeof(base), "%s.html", name);
    html = xt_path(f->dir, base);
    xt_write_file(html, LO_HTML, strlen(LO_HTML));
    prof = xt_path(f->dir, "lo-profile");
    snprintf(profile, sizeof(profile), "-env:UserInstallation=file://%s", prof);
    r = xt_exec(soffice(),
                (const char *const[]){"--headless", profile, "--convert-to", fmt, "--outdir",
                                      f->dir, html, NULL},
                NULL, (const char *const[]){"HOME=/tmp", NULL});
    if (r.status != 0)
        fail_msg("soffice: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    snprintf(base, sizeof(base), "%s.%s", name, ext);
    out = xt_path(f->dir, base);
    if (access(out, R_OK) != 0)
        fail_msg("soffice made no %s", out);
    free(html);
    free(prof);
    return out;
}

static void test_docx_import__libreoffice(void **state)
{
    fx *f = *state;
    char *db, *docx;
    cJSON *j;
    char *s;

    if (soffice() == NULL)
        xt_skip("LibreOffice (soffice) is not installed");
    docx = lo_convert(f, "nga-thach", "docx:MS Word 2007 XML", "docx");
    db = new_db(f, "lo.db");
    import_ok(db, docx);
    j = report_json(db);
    assert_string_equal(header(j, "body"), "UBND HUYỆN NGA SƠN\nUBND XÃ NGA THẠCH");
    assert_string_equal(header(j, "number"), "27/BC-UBND");
    assert_string_equal(header(j, "place"), "Nga Thạch");
    assert_string_equal(header(j, "date"), "ngày 15 tháng 12 năm 2024");
    assert_string_equal(header(j, "doctype"), "BÁO CÁO");
    /* two centred lines of the title are one */
    assert_string_equal(header(j, "title"),
                        "Tổng kết công tác thi đua khen thưởng năm 2024, phương hướng nhiệm vụ"
                        " năm 2025");
    assert_string_equal(header(j, "signer_role"), "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
    assert_string_equal(header(j, "signer_name"), "Mai Văn Hùng");
    assert_string_equal(header(j, "recipients_label"), "Nơi nhận:");
    s = lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện (B/c);\n- Lưu: VT.");
    free(s);
    assert_string_equal(str_of(block(j, "heading", "num", "I."), "text"), "ĐẶC ĐIỂM TÌNH HÌNH");
    assert_string_equal(str_of(block(j, "para", "text", "**Địa"), "text"),
                        "**Địa bàn:** xã có 6 thôn, 1.920 hộ.");
    block(j, "bullet", "text", "Thôn Thạch Sơn làm tốt");
    block(j, "bullet", "text", "Thôn Thạch Long về đích sớm.");
    /* <ol>: Word's numbering, written out */
    assert_string_equal(str_of(block(j, "heading", "num", "1."), "text"),
                        "Kết quả thực hiện các chỉ tiêu");
    s = lines_of(block(j, "table", "kind", ""), "head");
    assert_string_equal(s, "TT\tChỉ tiêu\tĐơn vị tính\tKQ năm 2023\tKH năm 2024\tKết quả thực "
                           "hiện\t\t\tCòn phải thực hiện\tGhi chú\n"
                           "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t");
    free(s);
    expect_row(j, (const char *const[]){"1", "Tổng sản lượng lương thực", "tấn", "5.120", "5.200",
                                        "5.310", "103,7", "102,1", "", ""});
    expect_row(j, (const char *const[]){"2", "Thu ngân sách", "Trđ", "8.400", "9.000", "9.450",
                                        "112,5", "105,0", "", "Vượt kế hoạch"});
    block(j, "para", "text", "Trên đây là báo cáo tổng kết năm 2024");
    cJSON_Delete(j);
    free(db);
    free(docx);
}

static void test_docx_import__python_docx(void **state)
{
    fx *f = *state;
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
    db = new_db(f, "pd.db");
    import_ok(db, docx);
    j = report_json(db);
    assert_string_equal(header(j, "body"), "UBND HUYỆN HOẰNG HÓA\nUBND XÃ HOẰNG PHONG");
    assert_string_equal(header(j, "number"), "88/BC-UBND");
    assert_string_equal(header(j, "place"), "Hoằng Phong");
    assert_string_equal(header(j, "date"), "ngày 20 tháng 6 năm 2024");
    assert_string_equal(header(j, "title"), "Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm,"
                                            " triển khai nhiệm vụ 6 tháng cuối năm 2024");
    /* kind and period follow from the title and date, as for a text file */
    assert_string_equal(header(j, "kind"), "so-ket-6-thang");
    assert_string_equal(header(j, "period"), "2024-h1");
    assert_string_equal(header(j, "signer_role"), "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
    assert_string_equal(header(j, "signer_name"), "Lê Văn Tám");
    s = lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện Hoằng Hóa (B/c);\n- Lưu: VT.");
    free(s);
    /* a heading bold throughout is a heading, not a bold run */
    assert_string_equal(str_of(block(j, "heading", "num", "I."), "text"), "ĐẶC ĐIỂM TÌNH HÌNH");
    assert_string_equal(str_of(block(j, "para", "text", "**"), "text"),
                        "**Dân số:** 2.140 hộ, 8.012 người; diện tích tự nhiên 512,4 ha.");
    /* List Number: Word's 1. and 2.; List Bullet: a dash */
    assert_string_equal(str_of(block(j, "heading", "num", "1."), "text"),
                        "Kết quả thực hiện các chỉ tiêu");
    assert_string_equal(str_of(block(j, "heading", "num", "2."), "text"),
                        "Tổ chức thực hiện các phong trào thi đua");
    assert_string_equal(str_of(block(j, "bullet", "text", "Thôn Phú Xuân"), "marker"), "-");
    block(j, "bullet", "text", "Thôn Đông Khê về đích");
    block(j, "heading", "num", "2.1.");
    /* merged across (gridSpan) and down (vMerge): the text form's lines */
    s = lines_of(block(j, "table", "kind", ""), "head");
    assert_string_equal(s, "TT\tChỉ tiêu\tĐơn vị tính\tKQ 6 tháng năm 2023\tKH năm 2024\tKết quả "
                           "thực hiện\t\t\tCòn phải thực hiện\tGhi chú\n"
                           "\t\t\t\t\t6 tháng đầu năm\t\t\t\t\n"
                           "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t\n"
                           "A\tB\tC\t1\t2\t3\t4=3/1\t5=3/2\t6=2-3\t7");
    free(s);
    expect_row(j, (const char *const[]){"I", "Về kinh tế", "", "", "", "", "", "", "", ""});
    expect_row(j, (const char *const[]){"1", "Tổng sản lượng lương thực", "tấn", "600", "1.400",
                                        "650", "108,3", "46,4", "750", ""});
    expect_row(j, (const char *const[]){"2", "Thu ngân sách", "Trđ", "4.100", "9.000", "5.200",
                                        "126,8", "57,8", "3.800", "Vượt cùng kỳ"});
    cJSON_Delete(j);
    free(db);
    free(docx);
}

/* ---- 3. bad input --------------------------------------------------------- */

typedef struct entry {
    const char *name;
    const char *data;
    size_t len;
} entry;

/* A zip of `n` entries, deflated. */
static void make_zip(const char *path, const entry *e, size_t n)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, e[i].data, e[i].len, 0);
        assert_non_null(s);
        assert_true(zip_file_add(z, e[i].name, s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    if (zip_close(z) < 0)
        fail_msg("zip_close: %s", zip_strerror(z));
}

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
static const char CT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" "
    "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
static const char RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";

/* A .docx whose document.xml is `doc`, with styles.xml `styles` if not
 * NULL. */
static void make_docx(const char *path, const char *doc, size_t len, const char *styles)
{
    entry e[] = {{"[Content_Types].xml", CT, strlen(CT)},
                 {"_rels/.rels", RELS, strlen(RELS)},
                 {"word/document.xml", doc, len},
                 {"word/styles.xml", styles, styles ? strlen(styles) : 0}};

    make_zip(path, e, styles ? 4 : 3);
}

/* A document.xml of paragraphs (NULL-terminated). */
static char *doc_of(const char *const *paras)
{
    xa_sb b = {0};

    xa_sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"" W_NS
                   "\"><w:body>");
    for (; *paras; paras++)
        xa_sb_printf(&b, "<w:p><w:r><w:t xml:space=\"preserve\">%s</w:t></w:r></w:p>", *paras);
    xa_sb_puts(&b, "</w:body></w:document>");
    return b.p;
}

/* An OLE compound file (the container of a Word 97 .doc and of an
 * encrypted .docx) holding empty streams named `names`: a header, one FAT
 * sector, one directory sector. */
static void make_cfb(const char *path, const char *const *names)
{
    unsigned char f[512 * 3];

    memset(f, 0, sizeof(f));
    memcpy(f, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
#define PUT16(o, v) (f[o] = (unsigned char)(v), f[(o) + 1] = (unsigned char)((v) >> 8))
#define PUT32(o, v) (PUT16(o, (v)&0xFFFF), PUT16((o) + 2, ((uint32_t)(v)) >> 16))
    PUT16(24, 0x3E);
    PUT16(26, 3);
    PUT16(28, 0xFFFE);
    PUT16(30, 9);
    PUT16(32, 6);
    PUT32(44, 1);           /* FAT sectors */
    PUT32(48, 1);           /* the directory at sector 1 */
    PUT32(56, 4096);        /* mini stream cutoff */
    PUT32(60, 0xFFFFFFFEu); /* no mini FAT */
    PUT32(68, 0xFFFFFFFEu); /* no DIFAT sectors */
    PUT32(76, 0);           /* the FAT is sector 0 */
    for (int i = 1; i < 109; i++)
        PUT32(76 + 4 * i, 0xFFFFFFFFu);
    /* FAT: sector 0 is the FAT, sector 1 the directory's one sector */
    for (int i = 0; i < 128; i++)
        PUT32(512 + 4 * i, i == 0 ? 0xFFFFFFFDu : i == 1 ? 0xFFFFFFFEu : 0xFFFFFFFFu);
    /* directory: the root, then the streams, each the right sibling of the last */
    for (size_t e = 0; e < 4; e++) {
        size_t o = 1024 + 128 * e;
        const char *name = e == 0 ? "Root Entry" : names[e - 1];
        PUT32(o + 68, 0xFFFFFFFFu);
        PUT32(o + 72, 0xFFFFFFFFu);
        PUT32(o + 76, 0xFFFFFFFFu);
        if (name == NULL)
            continue;
        for (size_t c = 0; name[c]; c++)
            PUT16(o + 2 * c, (unsigned char)name[c]);
        PUT16(o + 64, 2 * (strlen(name) + 1));
        f[o + 66] = e == 0 ? 5 : 2; /* root storage, stream */
        f[o + 67] = 1;              /* black */
        if (e == 0)
            PUT32(o + 76, 1);
        else if (e < 3 && names[e])
            PUT32(o + 72, e + 1);
        PUT32(o + 116, 0xFFFFFFFEu); /* no sectors: empty */
    }
#undef PUT16
#undef PUT32
    xt_write_file(path, (const char *)f, sizeof(f));
}

/* Import `file` into the seed's database: exit 1, the message, nothing
 * written. */
static void expect_refused(fx *f, const char *file, const char *en, const char *vi)
{
    uint64_t before = xt_db_digest(f->db);
    char *text = export_fmt(f->db, "text"), *after;
    xt_run r =
        run_db(f->db, (const char *const[]){"report", "import", file, "--id", "bao-cao-2", NULL});

    if (r.status != 1)
        fail_msg("%s: exit %d, not 1: %s", file, r.status, r.err);
    if (strstr(r.err, en) == NULL || strstr(r.err, vi) == NULL)
        fail_msg("%s: the message does not say \"%s\" / \"%s\": %s", file, en, vi, r.err);
    assert_int_equal(r.outlen, 0);
    assert_true(strncmp(r.err, "xasync: ", 8) == 0);
    assert_true(strchr(r.err, '\n') == r.err + r.errlen - 1); /* one line */
    xt_run_free(&r);
    assert_true(xt_db_digest(f->db) == before);
    after = export_fmt(f->db, "text");
    assert_string_equal(text, after);
    r = run_db(f->db, (const char *const[]){"report", "list", NULL});
    assert_string_equal(r.out, "report-2024-h1\n");
    xt_run_free(&r);
    free(text);
    free(after);
}

static void test_docx_import__bad_input(void **state)
{
    fx *f = *state;
    char *seed = xt_path(f->dir, "seed.docx"), *p;
    unsigned char *data;
    size_t len = 0;

    export_docx(f->db, seed);
    data = (unsigned char *)xt_read_file(seed, &len);
    assert_non_null(data);

    /* empty */
    p = xt_path(f->dir, "empty.docx");
    xt_write_file(p, "", 0);
    expect_refused(f, p, "the file is empty", "tệp rỗng");
    free(p);

    /* a damaged zip: the seed's .docx cut short */
    p = xt_path(f->dir, "cut.docx");
    xt_write_file(p, (const char *)data, len / 2);
    expect_refused(f, p, "zip is damaged", "bị hỏng");
    free(p);

    /* a damaged part: bytes of the packed document.xml changed (CRC or
     * inflate error) */
    {
        unsigned char *bad = malloc(len);
        size_t at = 0;
        memcpy(bad, data, len);
        for (size_t i = 0; i + 17 < len; i++)
            if (memcmp(bad + i, "word/document.xml", 17) == 0) {
                at = i + 17; /* the local header's name; the data follows */
                break;
            }
        assert_true(at > 0 && at + 400 < len);
        for (size_t i = at + 100; i < at + 300; i++)
            bad[i] ^= 0x5A;
        p = xt_path(f->dir, "crc.docx");
        xt_write_file(p, (const char *)bad, len);
        expect_refused(f, p, "damaged", "bị hỏng");
        free(p);
        free(bad);
    }

    /* malformed XML */
    {
        static const char broken[] = "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p>";
        p = xt_path(f->dir, "broken.docx");
        make_docx(p, broken, strlen(broken), NULL);
        expect_refused(f, p, "not well-formed XML", "bị hỏng");
        free(p);
    }

    /* a Word 97 .doc, an encrypted .docx: OLE compound files */
    p = xt_path(f->dir, "old.doc");
    make_cfb(p, (const char *const[]){"WordDocument", "1Table", "\x05SummaryInformation"});
    expect_refused(f, p, "Word 97-2003 document (.doc)", "lưu lại dưới dạng .docx");
    free(p);
    p = xt_path(f->dir, "locked.docx");
    make_cfb(p, (const char *const[]){"EncryptionInfo", "EncryptedPackage",
                                      "\x06"
                                      "DataSpaces"});
    expect_refused(f, p, "protected by a password", "có đặt mật khẩu");
    free(p);

    /* an OpenDocument text */
    {
        static const char mt[] = "application/vnd.oasis.opendocument.text";
        static const char content[] = "<office:document-content "
                                      "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:"
                                      "office:1.0\"/>";
        entry e[] = {{"mimetype", mt, strlen(mt)}, {"content.xml", content, strlen(content)}};
        p = xt_path(f->dir, "bao-cao.odt");
        make_zip(p, e, 2);
        expect_refused(f, p, "OpenDocument text (.odt)", "lưu lại dưới dạng .docx");
        free(p);
    }

    /* a zip that holds no Word document */
    {
        entry e[] = {{"a.txt", "xin chào", strlen("xin chào")}};
        p = xt_path(f->dir, "other.docx");
        make_zip(p, e, 1);
        expect_refused(f, p, "not a Word document", "không phải văn bản Word");
        free(p);
    }

    /* zip bombs: past the size limit; past the ratio limit */
    {
        size_t big = 70u << 20, mid = 4u << 20;
        char *x = malloc(big + 200);
        int n = sprintf(x, "<w:document xmlns:w=\"" W_NS "\"><w:body>");
        memset(x + n, ' ', big);
        strcpy(x + n + big, "</w:body></w:document>");
        p = xt_path(f->dir, "bomb-size.docx");
        make_docx(p, x, strlen(x), NULL);
        expect_refused(f, p, "unpacks to more than 64 MB", "quá 64 MB");
        free(p);
        strcpy(x + n + mid, "</w:body></w:document>");
        p = xt_path(f->dir, "bomb-ratio.docx");
        make_docx(p, x, strlen(x), NULL);
        expect_refused(f, p, "more than 200 times its packed size", "lần cỡ nén");
        free(p);
        free(x);
    }

    /* an external entity, in document.xml and in styles.xml: refused, the
     * file it names never read */
    {
        char *secret = xt_path(f->dir, "secret.txt"), *doc, *sty;
        static const char *const paras[] = {"BÁO CÁO", "Tiêu đề", "&xxe;", NULL};
        xa_sb b = {0};
        xt_write_file(secret, "MAT-KHAU-BI-MAT-42", 18);
        doc = doc_of(paras);
        xa_sb_printf(&b,
                     "<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "
                     "\"file://%s\">]>%s",
                     secret, strstr(doc, "<w:document"));
        p = xt_path(f->dir, "xxe.docx");
        make_docx(p, b.p, b.n, NULL);
        expect_refused(f, p, "declares a DTD", "khai báo DTD");
        {
            xt_run r = run_db(
                f->db, (const char *const[]){"report", "import", p, "--force", "--id", "x", NULL});
            assert_null(strstr(r.out, "MAT-KHAU"));
            assert_null(strstr(r.err, "MAT-KHAU"));
            xt_run_free(&r);
        }
        free(p);
        b.n = 0;
        sty = NULL;
        xa_sb_printf(&b,
                     "<?xml version=\"1.0\"?><!DOCTYPE w:styles [<!ENTITY xxe SYSTEM "
                     "\"file://%s\">]><w:styles xmlns:w=\"" W_NS "\"><w:style "
                     "w:styleId=\"a\"><w:name w:val=\"&xxe;\"/></w:style></w:styles>",
                     secret);
        sty = b.p;
        free(doc);
        doc = doc_of((const char *const[]){"BÁO CÁO", "Tiêu đề", "Đoạn.", NULL});
        p = xt_path(f->dir, "xxe-styles.docx");
        make_docx(p, doc, strlen(doc), sty);
        expect_refused(f, p, "word/styles.xml in the .docx declares a DTD", "khai báo DTD");
        free(p);
        free(sty);
        free(doc);
        free(secret);
    }

    /* a part in UTF-16, which could hide a DOCTYPE from a byte search */
    {
        static const char x8[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE d ["
                                 "<!ENTITY e SYSTEM \"file:///etc/hostname\">]><w:document "
                                 "xmlns:w=\"" W_NS "\"><w:body><w:p><w:r><w:t>&e;</w:t></w:r>"
                                 "</w:p></w:body></w:document>";
        size_t n = strlen(x8);
        char *x16 = malloc(2 * n + 2);
        x16[0] = (char)0xFF;
        x16[1] = (char)0xFE;
        for (size_t i = 0; i < n; i++) {
            x16[2 + 2 * i] = x8[i];
            x16[3 + 2 * i] = 0;
        }
        p = xt_path(f->dir, "utf16.docx");
        make_docx(p, x16, 2 * n + 2, NULL);
        expect_refused(f, p, "is not UTF-8 XML", "bị hỏng");
        free(p);
        free(x16);
    }

    /* a Word file on standard input: refused, told to name it */
    {
        uint64_t before = xt_db_digest(f->db);
        char cmd[9000];
        xt_run r;
        snprintf(cmd, sizeof(cmd), "XASYNC_DB='%s' '%s' report import - --id bao-cao-2 < '%s'",
                 f->db, XA_BIN, seed);
        r = xt_exec("/bin/sh", (const char *const[]){"-c", cmd, NULL}, NULL, NULL);
        assert_int_equal(r.status, 1);
        if (strstr(r.err, "a Word file is read by its name") == NULL ||
            strstr(r.err, "tệp Word phải được đưa bằng tên tệp") == NULL)
            fail_msg("stdin: %s", r.err);
        xt_run_free(&r);
        assert_true(xt_db_digest(f->db) == before);
    }

    /* the real things, when LibreOffice is here to make them */
    if (soffice()) {
        p = lo_convert(f, "word97", "doc:MS Word 97", "doc");
        expect_refused(f, p, "Word 97-2003 document (.doc)", "lưu lại dưới dạng .docx");
        free(p);
        p = lo_convert(f, "writer", "odt", "odt");
        expect_refused(f, p, "OpenDocument text (.odt)", "lưu lại dưới dạng .docx");
        free(p);
    }
    free(data);
    free(seed);
}

/* ---- 4. a paragraph that cannot be placed --------------------------------- */

static void test_docx_import__unplaced_named_by_paragraph(void **state)
{
    fx *f = *state;
    static const char *const paras[] = {"UBND XÃ HOÀNG KIM",
                                        "Số: 12/BC-UBND",
                                        "Hoàng Kim, ngày 3 tháng 7 năm 2024",
                                        "BÁO CÁO",
                                        "Kết quả công tác tháng 6 năm 2024",
                                        "Đoạn thứ nhất của báo cáo.",
                                        "Nơi nhận:",
                                        "- Lưu: VT.",
                                        "CHỦ TỊCH",
                                        "Nguyễn Văn An",
                                        "Ghi thêm sau chữ ký.",
                                        NULL};
    char *doc = doc_of(paras), *p = xt_path(f->dir, "after.docx"), *db = new_db(f, "u.db");
    uint64_t before = xt_db_digest(db);
    xt_run r;
    cJSON *j;

    make_docx(p, doc, strlen(doc), NULL);
    r = run_db(db, (const char *const[]){"report", "import", p, NULL});
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "đoạn 11 / paragraph 11: text after the signature") == NULL ||
        strstr(r.err, "Ghi thêm sau chữ ký.") == NULL || strstr(r.err, "--force") == NULL)
        fail_msg("the message does not name paragraph 11: %s", r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(db) == before);

    r = run_db(db, (const char *const[]){"report", "import", p, "--force", NULL});
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "warning: đoạn 11 / paragraph 11: text after the signature") == NULL)
        fail_msg("the warning does not name paragraph 11: %s", r.err);
    xt_run_free(&r);
    j = report_json(db);
    assert_string_equal(header(j, "body"), "UBND XÃ HOÀNG KIM");
    assert_string_equal(header(j, "number"), "12/BC-UBND");
    assert_string_equal(header(j, "title"), "Kết quả công tác tháng 6 năm 2024");
    assert_string_equal(header(j, "signer_name"), "Nguyễn Văn An");
    block(j, "para", "text", "Ghi thêm sau chữ ký.");
    cJSON_Delete(j);
    free(doc);
    free(p);
    free(db);
}

/* ---- 5. what a Word file holds beyond paragraphs ------------------------- */

static const char SHAPES_DOC[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<w:document xmlns:w=\"" W_NS "\" "
    "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" "
    "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
    "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
    "xmlns:wps=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\"><w:body>"
    "<w:p><w:r><w:t>UBND XÃ HOÀNG KIM</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Số: 7/BC-UBND</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Hoàng Kim, ngày 2 tháng 8 năm 2024</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>BÁO CÁO</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>Kết quả tháng 7</w:t></w:r></w:p>"
    /* centred too, right under the title, but a part and its title */
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>Phần thứ nhất</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>KẾT QUẢ</w:t></w:r></w:p>"
    /* a heading in bold but for its colon */
    "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>II. KẾT QUẢ THỰC HIỆN</w:t></w:r><w:r><w:t>:</w:t>"
    "</w:r></w:p>"
    /* a picture beside its caption, a footnote */
    "<w:p><w:r><w:t xml:space=\"preserve\">Ảnh hội nghị sơ kết. </w:t></w:r><w:r><w:drawing>"
    "<wp:inline><a:graphic><a:graphicData><a:blip/></a:graphicData></a:graphic></wp:inline>"
    "</w:drawing></w:r></w:p>"
    "<w:p><w:r><w:t>Thu ngân sách đạt kế hoạch.</w:t></w:r><w:r><w:footnoteReference "
    "w:id=\"1\"/></w:r></w:p>"
    /* a text box (Word 2010: the shape, and a VML copy for older readers) */
    "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor>"
    "<a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>Khung ghi chú: "
    "họp dân ngày 5/7.</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData>"
    "</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p>"
    "<w:r><w:t>Khung ghi chú: họp dân ngày 5/7.</w:t></w:r></w:p></w:txbxContent></w:pict>"
    "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    /* recipients | a spacer column | the signature */
    "<w:tbl><w:tblGrid><w:gridCol w:w=\"4000\"/><w:gridCol w:w=\"1000\"/><w:gridCol "
    "w:w=\"4000\"/></w:tblGrid><w:tr>"
    "<w:tc><w:p><w:r><w:t>Nơi nhận:</w:t></w:r></w:p><w:p><w:r><w:t>- UBND huyện (B/c);</w:t>"
    "</w:r></w:p><w:p><w:r><w:t>- Lưu: VT.</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p/></w:tc>"
    "<w:tc><w:p><w:r><w:t>KT. CHỦ TỊCH</w:t></w:r></w:p><w:p><w:r><w:t>PHÓ CHỦ TỊCH</w:t></w:r>"
    "</w:p><w:p/><w:p><w:r><w:t>Trần Thị Hoa</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:sectPr/></w:body></w:document>";

static void test_docx_import__pictures_notes_boxes_signature(void **state)
{
    fx *f = *state;
    char *p = xt_path(f->dir, "shapes.docx"), *db = new_db(f, "s.db"), *s;
    xt_run r;
    cJSON *j;

    make_docx(p, SHAPES_DOC, strlen(SHAPES_DOC), NULL);
    r = run_db(db, (const char *const[]){"report", "import", p, NULL});
    if (r.status != 0)
        fail_msg("import: exit %d: %s", r.status, r.err);
    /* what the report cannot hold is said, not dropped unseen */
    assert_non_null(strstr(r.err, "warning: 1 picture, chart or shape of the Word file is not "
                                  "imported"));
    assert_non_null(strstr(r.err, "1 hình ảnh, biểu đồ, hình vẽ trong tệp Word không được nhập"));
    assert_non_null(strstr(r.err, "warning: 1 footnote of the Word file is not imported"));
    assert_null(strstr(r.err, "2 picture")); /* a text box is text, not a picture */
    xt_run_free(&r);
    j = report_json(db);
    assert_string_equal(header(j, "title"), "Kết quả tháng 7");
    block(j, "part", "num", "Phần thứ nhất");
    block(j, "part", "text", "KẾT QUẢ");
    assert_string_equal(str_of(block(j, "heading", "num", "II."), "text"), "KẾT QUẢ THỰC HIỆN:");
    block(j, "para", "text", "Ảnh hội nghị sơ kết.");
    block(j, "para", "text", "Thu ngân sách đạt kế hoạch.");
    /* the text box's paragraph, once (not again from its VML copy) */
    assert_string_equal(str_of(block(j, "para", "text", "Khung ghi chú"), "text"),
                        "Khung ghi chú: họp dân ngày 5/7.");
    {
        size_t n = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "blocks")) n +=
            strncmp(str_of(b, "text"), "Khung ghi chú", 13) == 0;
        assert_int_equal(n, 1);
    }
    assert_string_equal(header(j, "signer_role"), "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH");
    assert_string_equal(header(j, "signer_name"), "Trần Thị Hoa");
    s = lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện (B/c);\n- Lưu: VT.");
    free(s);
    cJSON_Delete(j);
    free(p);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_docx_import__seed_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__corpus_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__libreoffice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__python_docx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__unplaced_named_by_paragraph, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__pictures_notes_boxes_signature, setup,
                                        teardown),
    };
    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
