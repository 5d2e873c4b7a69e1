/*
 * The printed forms of a report (report/layout.c, report/docx.c): the
 * conversion leftovers read as a person would write them, the indicator
 * table's header merged, the .docx made by `xasync report export --format
 * docx -o FILE` read back with libzip and libxml2, and the bad outputs.
 * The .docx's reading by real readers (python-docx, LibreOffice) is
 * tests/report/docx_check.py.
 *
 * What must hold:
 *   1. "**bold**", "*italic*", "$…$" with "\%", "\%" and "<http://…>" are
 *      runs of plain text with their style; a "*" in a formula or between
 *      figures, a lone "$" or "**" stay as they are.
 *   2. The seed's header lines merge as the report prints them: TT, Chỉ
 *      tiêu … over three rows, "Kết quả thực hiện" over three columns,
 *      "6 tháng đầu năm" under it, the column numbers a line of single
 *      cells; "Chỉ tiêu" is the widest column.
 *   3. The .docx of the seed is a zip of well-formed WordprocessingML parts
 *      (parsed with the network and entities off): A4, the decree's
 *      margins, Times New Roman, the header rows marked w:tblHeader, the
 *      merged cells (gridSpan 3, vMerge), a different first page and a
 *      PAGE field in the header; the leftovers are gone from it; the same
 *      report gives the same bytes; fields holding control characters or
 *      bytes that are not UTF-8 still give well-formed XML.
 *   4. The text export still gives the imported text back (leftovers
 *      included); the HTML shows them read.
 *   5. An output that cannot be written: exit 1, a message in Vietnamese
 *      and English naming the file, nothing written, the database
 *      unchanged; an existing file is replaced whole.
 *   6. The district writes a commune's report (show --report --format docx)
 *      and its rollup as .docx, from what the commune synced.
 */
#include "report_int.h"
#include "support.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---- 1. leftovers --------------------------------------------------- */

static void collect(void *ctx, const char *s, size_t n, int flags)
{
    xa_sb *o = ctx;

    if (flags & XA_RUN_BOLD)
        xa_sb_puts(o, "[b]");
    if (flags & XA_RUN_ITALIC)
        xa_sb_puts(o, "[i]");
    xa_sb_add(o, s, n);
    if (flags)
        xa_sb_puts(o, "[/]");
}

static char *runs_of(const char *s)
{
    xa_sb o = {0};

    xa_sb_puts(&o, "");
    assert_int_equal(xa_inline_runs(s, collect, &o), 0);
    return o.p;
}

static void expect_runs(const char *in, const char *want)
{
    char *got = runs_of(in);

    if (strcmp(got, want) != 0)
        fail_msg("runs of \"%s\": got \"%s\", want \"%s\"", in, got, want);
    free(got);
}

static void test_docx__leftovers_read_as_written_by_hand(void **state)
{
    (void)state;
    expect_runs("**Địa điểm trụ sở chính:** Thôn My Du", "[b]Địa điểm trụ sở chính:[/] Thôn My Du");
    expect_runs("*Chính quyền*: Thường trực", "[i]Chính quyền[/]: Thường trực");
    expect_runs("lao động: $3.222/3.353 = 96,1\\%$. Đảng bộ",
                "lao động: 3.222/3.353 = 96,1%. Đảng bộ");
    expect_runs("$5=4/2*100$", "5=4/2*100");
    expect_runs("giảm 1,73\\% so với", "giảm 1,73% so với");
    expect_runs("Trang: <http://hoangkim.hoanghoa.gov.vn>",
                "Trang: http://hoangkim.hoanghoa.gov.vn");
    expect_runs("$a \\times b$", "a × b");
    /* not leftovers: kept as they are */
    expect_runs("5=4/2*100", "5=4/2*100");
    expect_runs("3 * 4 = 12", "3 * 4 = 12");
    expect_runs("giá 5$ và 6$", "giá 5$ và 6$");
    expect_runs("** không đóng", "** không đóng");
    expect_runs("**mở mà không đóng", "**mở mà không đóng");
    expect_runs("a < b && c > d", "a < b && c > d");
    expect_runs("", "");
    /* the plain form joins the runs */
    char *p = xa_inline_plain("**Đoàn thể:** Gồm 5 tổ chức, $96,1\\%$");
    assert_string_equal(p, "Đoàn thể: Gồm 5 tổ chức, 96,1%");
    free(p);
}

/* ---- 2. the header grid --------------------------------------------- */

static const char SEED_HEAD[] =
    "TT\tChi tiêu\tĐơn vị tính\tKQ thực hiện 6 tháng năm 2023\tKH năm 2024 (theo NQ HĐND "
    "giao)\tKết quả thực hiện\t\t\tCòn phải thực hiện\tGhi chú\n"
    "\t\t\t\t\t6 tháng đầu năm\t\t\t\t\n"
    "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t\n"
    "A\tB\tI\t2\t3\t4\t$5=4/2*100$\t$6=4/3*100$\t$7=3-4$\t8";

static const xa_head_cell *at(const xa_head_grid *g, size_t r, size_t c)
{
    return &g->cells[r * g->ncols + c];
}

static void test_docx__seed_header_merges(void **state)
{
    xa_head_grid g;

    (void)state;
    assert_int_equal(xa_head_grid_build(SEED_HEAD, 10, &g), 0);
    assert_int_equal(g.nrows, 4);
    /* TT … KH, Còn phải, Ghi chú: three rows, one column */
    for (size_t c = 0; c < 10; c++) {
        if (c >= 5 && c <= 7)
            continue;
        assert_int_equal(at(&g, 0, c)->rowspan, 3);
        assert_int_equal(at(&g, 0, c)->colspan, 1);
        assert_true(at(&g, 1, c)->covered && at(&g, 2, c)->covered);
        assert_false(at(&g, 3, c)->covered);
    }
    assert_string_equal(at(&g, 0, 5)->text, "Kết quả thực hiện");
    assert_int_equal(at(&g, 0, 5)->colspan, 3);
    assert_int_equal(at(&g, 0, 5)->rowspan, 1);
    assert_string_equal(at(&g, 1, 5)->text, "6 tháng đầu năm");
    assert_int_equal(at(&g, 1, 5)->colspan, 3);
    assert_int_equal(at(&g, 1, 5)->rowspan, 1);
    for (size_t c = 5; c <= 7; c++) {
        assert_int_equal(at(&g, 2, c)->colspan, 1);
        assert_int_equal(at(&g, 2, c)->rowspan, 1);
    }
    /* the column numbers */
    assert_false(xa_head_numbering_row(&g, 2));
    assert_true(xa_head_numbering_row(&g, 3));
    for (size_t c = 0; c < 10; c++)
        assert_int_equal(at(&g, 3, c)->colspan, 1);
    xa_head_grid_free(&g);

    /* a single line, and nothing */
    assert_int_equal(xa_head_grid_build("TT\tTên", 10, &g), 0);
    assert_int_equal(g.nrows, 1);
    assert_false(xa_head_numbering_row(&g, 0));
    assert_int_equal(at(&g, 0, 1)->colspan, 9); /* the empty cells to its right */
    xa_head_grid_free(&g);
    assert_int_equal(xa_head_grid_build("", 10, &g), 0);
    assert_int_equal(g.nrows, 0);
    xa_head_grid_free(&g);
}

/* ---- a database with the seed ------------------------------------- */

typedef struct fx {
    char *dir, *db, *env;
} fx;

static xt_run run_x(fx *f, const char *const *argv)
{
    const char *env[] = {f->env, "XASYNC_AUTHOR=Lê Thị Lan", NULL};
    return xt_xasync(argv, NULL, env);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    xt_run r;

    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "a.db");
    f->env = malloc(strlen(f->db) + 32);
    sprintf(f->env, "XASYNC_DB=%s", f->db);
    r = run_x(f, (const char *const[]){"init", "--scope", "hoang-kim", NULL});
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = run_x(f, (const char *const[]){"report", "import", XA_SEED_REPORT, NULL});
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
    free(f->env);
    free(f);
    return 0;
}

static void test_docx__chi_tieu_is_the_widest_column(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    xa_report r;
    xa_head_grid g;
    unsigned w[XA_TABLE_COLS], sum = 0;
    const xa_block *t = NULL;

    assert_int_equal(xa_store_open(&st, f->db), 0);
    assert_int_equal(xa_report_load(st, "hoang-kim", "report-2024-h1", &r), 0);
    xa_store_close(st);
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(r.b[i].kind, "table") == 0)
            t = &r.b[i];
    assert_non_null(t);
    assert_int_equal(xa_head_grid_build(t->head, XA_TABLE_COLS, &g), 0);
    xa_table_widths(&r, t, &g, w);
    for (size_t c = 0; c < XA_TABLE_COLS; c++) {
        sum += w[c];
        if (c != 1 && w[c] >= w[1])
            fail_msg("column %zu (%u‰) is not narrower than Chỉ tiêu (%u‰)", c, w[c], w[1]);
        /* every column holds its figures: no column under 5 % */
        assert_true(w[c] >= 50);
    }
    assert_int_equal(sum, 1000);
    assert_true(w[1] >= 220); /* 3.6 cm of 16.5 at least */
    xa_head_grid_free(&g);
    xa_report_free(&r);
}

/* ---- 3. the .docx read back ------------------------------------------ */

/* A part of the zip, NUL-terminated, malloc'd. */
static char *zip_part(const unsigned char *data, size_t len, const char *name, size_t *plen)
{
    zip_error_t ze;
    zip_source_t *src;
    zip_t *za;
    zip_stat_t zs;
    zip_file_t *zf;
    char *buf;

    zip_error_init(&ze);
    src = zip_source_buffer_create(data, len, 0, &ze);
    assert_non_null(src);
    za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (za == NULL)
        fail_msg("not a zip: %s", zip_error_strerror(&ze));
    if (zip_stat(za, name, 0, &zs) < 0) {
        zip_close(za);
        zip_error_fini(&ze);
        return NULL;
    }
    buf = malloc(zs.size + 1);
    zf = zip_fopen(za, name, 0);
    assert_non_null(zf);
    assert_int_equal(zip_fread(zf, buf, zs.size), (zip_int64_t)zs.size);
    buf[zs.size] = '\0';
    zip_fclose(zf);
    zip_close(za);
    zip_error_fini(&ze);
    if (plen)
        *plen = zs.size;
    return buf;
}

static xmlDocPtr parse(const char *xml, size_t len)
{
    /* no network, no entity expansion, no DTD loading */
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "part.xml", NULL, XML_PARSE_NONET);
    if (doc == NULL)
        fail_msg("a part is not well-formed XML");
    return doc;
}

static long count_xpath(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr res;
    long n;

    xmlXPathRegisterNs(ctx, BAD_CAST "w",
                       BAD_CAST "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
    xmlXPathRegisterNs(ctx, BAD_CAST "r",
                       BAD_CAST "http://schemas.openxmlformats.org/officeDocument/2006/"
                                "relationships");
    res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    if (res == NULL)
        fail_msg("bad xpath %s", expr);
    if (res->type == XPATH_NUMBER)
        n = (long)res->floatval;
    else
        n = res->nodesetval ? res->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    return n;
}

static unsigned char *export_docx(fx *f, const char *name, size_t *len)
{
    char *out = xt_path(f->dir, name);
    xt_run r =
        run_x(f, (const char *const[]){"report", "export", "--format", "docx", "-o", out, NULL});
    unsigned char *data;

    if (r.status != 0)
        fail_msg("export docx: exit %d: %s", r.status, r.err);
    assert_int_equal(r.outlen, 0);
    xt_run_free(&r);
    data = (unsigned char *)xt_read_file(out, len);
    assert_non_null(data);
    free(out);
    return data;
}

static void test_docx__seed_docx_structure(void **state)
{
    fx *f = *state;
    size_t len, len2, n;
    unsigned char *data = export_docx(f, "a.docx", &len);
    unsigned char *again = export_docx(f, "b.docx", &len2);
    static const char *const parts[] = {"[Content_Types].xml", "_rels/.rels",
                                        "word/document.xml",   "word/_rels/document.xml.rels",
                                        "word/styles.xml",     "word/header1.xml",
                                        "word/header2.xml",    "docProps/core.xml"};
    char *xml;
    xmlDocPtr doc;

    /* the same report, the same bytes */
    assert_int_equal(len, len2);
    assert_memory_equal(data, again, len);
    free(again);
    assert_memory_equal(data, "PK\x03\x04", 4);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        xml = zip_part(data, len, parts[i], &n);
        if (xml == NULL)
            fail_msg("the .docx has no %s", parts[i]);
        xmlFreeDoc(parse(xml, n));
        free(xml);
    }

    xml = zip_part(data, len, "word/document.xml", &n);
    doc = parse(xml, n);
    /* A4, margins 20/20/30/15 mm, a first page of its own, two headers */
    assert_int_equal(count_xpath(doc, "//w:sectPr/w:pgSz[@w:w='11906' and @w:h='16838']"), 1);
    assert_int_equal(count_xpath(doc, "//w:sectPr/w:pgMar[@w:top='1134' and @w:bottom='1134' and "
                                      "@w:left='1701' and @w:right='851']"),
                     1);
    assert_int_equal(count_xpath(doc, "//w:sectPr/w:titlePg"), 1);
    assert_int_equal(count_xpath(doc, "//w:sectPr/w:headerReference"), 2);
    /* three tables: the header, the indicators, the signature */
    assert_int_equal(count_xpath(doc, "/w:document/w:body/w:tbl"), 3);
    /* the indicator table: four header rows repeated on every page */
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[w:trPr/w:tblHeader]"), 4);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr"), 4 + 29);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tblGrid/w:gridCol"), 10);
    /* "Kết quả thực hiện" and "6 tháng đầu năm" over three columns */
    assert_int_equal(count_xpath(doc, "//w:tbl[2]//w:tc[w:tcPr/w:gridSpan/@w:val='3']"), 2);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[1]/w:tc[w:tcPr/w:gridSpan/@w:val='3']//w:t"
                                      "[.='Kết quả thực hiện']"),
                     1);
    /* seven cells over three rows: restart in row 1, continued in rows 2 and 3 */
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[1]/w:tc/w:tcPr/w:vMerge[@w:val='restart']"),
                     7);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[2]/w:tc/w:tcPr/w:vMerge[not(@w:val)]"), 7);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[3]/w:tc/w:tcPr/w:vMerge[not(@w:val)]"), 7);
    /* every row of the grid spans ten columns */
    for (int row = 1; row <= 4; row++) {
        char q[160];
        snprintf(q, sizeof(q),
                 "count(//w:tbl[2]/w:tr[%d]/w:tc[not(w:tcPr/w:gridSpan)]) + "
                 "sum(//w:tbl[2]/w:tr[%d]/w:tc/w:tcPr/w:gridSpan/@w:val)",
                 row, row);
        assert_int_equal(count_xpath(doc, q), 10);
    }
    /* figures right-aligned, TT centred */
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[5]/w:tc[1]/w:p/w:pPr/w:jc[@w:val='center']"),
                     1);
    assert_int_equal(count_xpath(doc,
                                 "//w:tbl[2]/w:tr[w:tc[2]//w:t='Tổng sản lượng lương thực có hạt']"
                                 "/w:tc[4]/w:p/w:pPr/w:jc[@w:val='right']"),
                     1);
    /* the motto, BÁO CÁO, the signature */
    assert_int_equal(count_xpath(doc, "//w:t[.='CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM']"), 1);
    assert_int_equal(count_xpath(doc, "//w:r[w:rPr/w:b]/w:t[.='Độc lập - Tự do - Hạnh phúc']"), 1);
    assert_int_equal(count_xpath(doc, "//w:r[w:rPr/w:b]/w:t[.='BÁO CÁO']"), 1);
    assert_int_equal(
        count_xpath(doc, "//w:tbl[3]//w:r[w:rPr/w:b and w:rPr/w:i]/w:t[.='Nơi nhận:']"), 1);
    assert_int_equal(count_xpath(doc, "//w:tbl[3]//w:r[w:rPr/w:b]/w:t[.='Lê Quang Thành']"), 1);
    /* the leftovers are read: bold runs, no "**", no "\%", no "$" */
    assert_int_equal(count_xpath(doc, "//w:r[w:rPr/w:b]/w:t[.='Địa điểm trụ sở chính:']"), 1);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., '**')]"), 0);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., '\\%')]"), 0);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., '$')]"), 0);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., '3.222/3.353 = 96,1%')]"), 1);
    xmlFreeDoc(doc);
    free(xml);

    /* the page number: a PAGE field in the default header, none on page 1 */
    xml = zip_part(data, len, "word/header1.xml", &n);
    doc = parse(xml, n);
    assert_int_equal(count_xpath(doc, "//w:instrText[contains(., 'PAGE')]"), 1);
    assert_int_equal(count_xpath(doc, "//w:p/w:pPr/w:jc[@w:val='center']"), 1);
    xmlFreeDoc(doc);
    free(xml);
    xml = zip_part(data, len, "word/header2.xml", &n);
    doc = parse(xml, n);
    assert_int_equal(count_xpath(doc, "//w:instrText"), 0);
    xmlFreeDoc(doc);
    free(xml);
    /* the font */
    xml = zip_part(data, len, "word/styles.xml", &n);
    doc = parse(xml, n);
    assert_int_equal(count_xpath(doc,
                                 "//w:style[@w:styleId='Normal']/w:rPr/w:rFonts"
                                 "[@w:ascii='Times New Roman' and @w:hAnsi='Times New Roman']"),
                     1);
    assert_int_equal(count_xpath(doc, "//w:style[@w:styleId='Normal']/w:rPr/w:sz[@w:val='28']"), 1);
    xmlFreeDoc(doc);
    free(xml);
    free(data);
}

/* A report of fields holding what XML 1.0 cannot: control characters,
 * bytes that are not UTF-8, markup. */
static void test_docx__any_field_gives_well_formed_xml(void **state)
{
    xa_report r;
    xa_block b[3];
    unsigned char *data = NULL;
    size_t len = 0, n;
    char *xml;
    xmlDocPtr doc;
    char *e = strdup("");

    (void)state;
    memset(&r, 0, sizeof(r));
    memset(b, 0, sizeof(b));
    r.title = "Tiêu đề \x01 <b>&amp;</b> \xff\xfe ]]> \"'";
    r.place = "Hoàng\x1f Kim";
    r.date = "ngày 5 tháng 7 năm 2024";
    r.number = "12/BC-UBND";
    r.doctype = "BÁO CÁO";
    r.body = e;
    r.signer_role = "TM. ỦY BAN NHÂN DÂN\nchủ tịch";
    r.signer_name = "Lê \x08Văn An";
    r.recipients = "- Như trên;\n- Lưu: VT.";
    r.recipients_label = e;
    r.n = 3;
    r.b = b;
    b[0].kind = "para";
    b[0].text = "Đoạn \x0b\x0c có \xc3\x28 ký tự lạ \xed\xa0\x80 và **đậm";
    b[0].conflict = 1;
    b[1].kind = "heading";
    b[1].num = "1.";
    b[1].text = "<w:p>Không phải thẻ</w:p>";
    b[2].kind = "bullet";
    b[2].marker = "+";
    b[2].text = "Tab\there";
    assert_int_equal(xa_report_docx(&r, &data, &len), 0);
    xml = zip_part(data, len, "word/document.xml", &n);
    doc = parse(xml, n);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., '<w:p>Không phải thẻ</w:p>')]"), 1);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., 'XUNG ĐỘT / CONFLICT')]"), 1);
    /* the signer's role: one bold line per line, in capitals */
    assert_int_equal(count_xpath(doc, "//w:tbl[2]//w:r[w:rPr/w:b]/w:t[.='TM. ỦY BAN NHÂN DÂN']"),
                     1);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]//w:r[w:rPr/w:b]/w:t[.='CHỦ TỊCH']"), 1);
    assert_int_equal(count_xpath(doc, "//w:tab"), 1);
    assert_non_null(strstr(xml, "\xef\xbf\xbd")); /* U+FFFD for what XML forbids */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)xml[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            fail_msg("control character 0x%02x at %zu", c, i);
    }
    xmlFreeDoc(doc);
    free(xml);
    free(data);

    /* bad arguments */
    assert_true(xa_report_docx(NULL, &data, &len) < 0);
    r.b = NULL;
    assert_true(xa_report_docx(&r, &data, &len) < 0);
    free(e);
}

/* ---- 4. text gives the import back; HTML reads the leftovers -------- */

static void test_docx__text_keeps_leftovers_html_reads_them(void **state)
{
    fx *f = *state;
    xt_run r = run_x(f, (const char *const[]){"report", "export", "--format", "text", NULL});
    char *page;

    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "* **Địa điểm trụ sở chính:** Thôn My Du"));
    assert_non_null(strstr(r.out, "$3.222/3.353 = 96,1\\%$"));
    assert_non_null(strstr(r.out, "$5=4/2*100$"));
    xt_run_free(&r);
    r = run_x(f, (const char *const[]){"report", "export", "--format", "html", NULL});
    assert_int_equal(r.status, 0);
    page = r.out;
    assert_non_null(strstr(page, "<b>Địa điểm trụ sở chính:</b> Thôn My Du"));
    assert_non_null(strstr(page, "3.222/3.353 = 96,1%."));
    assert_null(strstr(page, "**"));
    assert_null(strstr(page, "\\%"));
    assert_null(strstr(page, "$"));
    /* merged header cells, the column numbers, the widths, the title rule */
    assert_non_null(strstr(page, "<th colspan=\"3\">Kết quả thực hiện</th>"));
    assert_non_null(strstr(page, "<th colspan=\"3\">6 tháng đầu năm</th>"));
    assert_non_null(strstr(page, "<th rowspan=\"3\">TT</th>"));
    assert_non_null(strstr(page, "<tr class=\"numbering\"><th>A</th>"));
    assert_non_null(strstr(page, "<th>5=<wbr>4/2*100</th>"));
    assert_non_null(strstr(page, "<colgroup><col style=\"width: "));
    assert_non_null(strstr(page, "<div class=\"title-rule\"></div>"));
    /* the font: Times New Roman, then Liberation Serif; page numbers */
    assert_non_null(strstr(page, "\"Times New Roman\", \"Liberation Serif\""));
    assert_non_null(strstr(page, "@top-center { content: counter(page);"));
    assert_non_null(strstr(page, "@page :first { @top-center { content: none; } }"));
    xt_run_free(&r);
}

/* ---- 5. outputs that cannot be written ----------------------------- */

static void expect_write_error(fx *f, const char *out)
{
    uint64_t before = xt_db_digest(f->db);
    xt_run r =
        run_x(f, (const char *const[]){"report", "export", "--format", "docx", "-o", out, NULL});

    if (r.status != 1)
        fail_msg("export to %s: exit %d, want 1 (%s)", out, r.status, r.err);
    assert_non_null(strstr(r.err, "xasync: "));
    assert_non_null(strstr(r.err, "không ghi được tệp"));
    assert_non_null(strstr(r.err, "cannot write"));
    assert_non_null(strstr(r.err, out));
    assert_null(strchr(strchr(r.err, '\n') ? strchr(r.err, '\n') + 1 : "", '\n'));
    assert_int_equal(r.outlen, 0);
    assert_true(xt_db_digest(f->db) == before);
    xt_run_free(&r);
}

static void test_docx__unwritable_output_is_refused(void **state)
{
    fx *f = *state;
    char *missing = xt_path(f->dir, "no-such-folder/bao-cao.docx");
    char *folder = xt_path(f->dir, "a-folder");
    char *existing = xt_path(f->dir, "old.docx");
    struct stat sb;
    size_t len;
    char *old;

    /* a folder that does not exist: nothing is made */
    expect_write_error(f, missing);
    assert_true(stat(missing, &sb) < 0);
    /* a path that is a folder: it stays a folder, no temporary file left */
    assert_int_equal(mkdir(folder, 0755), 0);
    expect_write_error(f, folder);
    assert_int_equal(stat(folder, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    {
        /* no temporary file left behind */
        xt_run r =
            xt_exec("/bin/sh",
                    (const char *const[]){"-c", "ls \"$0\" | grep -c tmp- || true", f->dir, NULL},
                    NULL, NULL);
        assert_string_equal(r.out, "0\n");
        xt_run_free(&r);
    }
    /* /proc takes no new file, even for root */
    expect_write_error(f, "/proc/bao-cao.docx");
    /* an existing file is replaced whole */
    xt_write_file(existing, "old content", 11);
    free(export_docx(f, "old.docx", &len));
    old = xt_read_file(existing, &len);
    assert_memory_equal(old, "PK\x03\x04", 4);
    free(old);
    /* an unknown format is a usage error */
    {
        xt_run r = run_x(
            f, (const char *const[]){"report", "export", "--format", "doc", "-o", existing, NULL});
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "docx"));
        xt_run_free(&r);
    }
    free(missing);
    free(folder);
    free(existing);
}

/* The docx on standard output when it is not a terminal (a pipe here). */
static void test_docx__to_a_pipe(void **state)
{
    fx *f = *state;
    xt_run r = run_x(f, (const char *const[]){"report", "export", "--format", "docx", NULL});
    char *xml;

    assert_int_equal(r.status, 0);
    assert_true(r.outlen > 1000);
    xml = zip_part((unsigned char *)r.out, r.outlen, "word/document.xml", NULL);
    assert_non_null(xml);
    free(xml);
    xt_run_free(&r);
}

/* ---- 6. the district --------------------------------------------- */

static void test_docx__district_show_and_rollup(void **state)
{
    fx *f = *state;
    xt_server srv;
    char *ddb = xt_district_setup(f->dir, (const char *const[]){"hoang-kim", "hoang-phu", NULL});
    char *show = xt_path(f->dir, "show.docx"), *roll = xt_path(f->dir, "rollup.docx");
    char *mine = xt_path(f->dir, "mine.docx");
    size_t len, n;
    unsigned char *data, *own;
    char *xml;
    xmlDocPtr doc;
    xt_run r;

    /* a PC of the commune with the seed, synced */
    free(f->db);
    f->db = xt_path(f->dir, "pc.db");
    sprintf(f->env, "XASYNC_DB=%s", f->db);
    xt_server_start(&srv, ddb, NULL);
    xt_pc_setup(f->dir, f->db, "hoang-kim", srv.port);
    r = run_x(f, (const char *const[]){"report", "import", XA_SEED_REPORT, NULL});
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = run_x(f, (const char *const[]){"sync", NULL});
    if (r.status != 0)
        fail_msg("sync: %s", r.err);
    xt_run_free(&r);
    assert_int_equal(xt_server_stop(&srv, SIGTERM), 0);

    /* the commune's report, as the commune prints it */
    r = xt_district((const char *const[]){"--db", ddb, "show", "hoang-kim", "--report",
                                          "report-2024-h1", "--format", "docx", "-o", show, NULL},
                    NULL, NULL);
    if (r.status != 0)
        fail_msg("district show docx: %s", r.err);
    xt_run_free(&r);
    free(export_docx(f, "mine.docx", &len));
    data = (unsigned char *)xt_read_file(show, &len);
    own = (unsigned char *)xt_read_file(mine, &n);
    assert_int_equal(len, n);
    assert_memory_equal(data, own, len);
    free(own);
    free(data);

    /* the rollup: one commune reported, one has not */
    r = xt_district((const char *const[]){"--db", ddb, "rollup", "--report-kind", "so-ket-6-thang",
                                          "--period", "2024-h1", "--format", "docx", "-o", roll,
                                          NULL},
                    NULL, NULL);
    if (r.status != 0)
        fail_msg("district rollup docx: %s", r.err);
    xt_run_free(&r);
    data = (unsigned char *)xt_read_file(roll, &len);
    assert_non_null(data);
    xml = zip_part(data, len, "word/document.xml", &n);
    doc = parse(xml, n);
    assert_int_equal(count_xpath(doc, "//w:t[contains(., 'Chưa báo cáo: 1 xã (hoang-phu)')]"), 1);
    assert_int_equal(count_xpath(doc, "//w:tbl[2]/w:tr[w:trPr/w:tblHeader]"), 3);
    /* row 4's sums, as the rollup's text form gives them */
    {
        char q[512], prev[32], plan[32], est[32];
        const char *line;
        xt_run t = xt_district((const char *const[]){"--db", ddb, "rollup", "--report-kind",
                                                     "so-ket-6-thang", "--period", "2024-h1", NULL},
                               NULL, NULL);
        assert_int_equal(t.status, 0);
        line = strstr(t.out, "\tTổng sản lượng lương thực có hạt\ttấn\t");
        assert_non_null(line);
        assert_int_equal(sscanf(line + strlen("\tTổng sản lượng lương thực có hạt\ttấn\t"),
                                "%31[^\t]\t%31[^\t]\t%31[^\t]", prev, plan, est),
                         3);
        assert_non_null(strstr(prev, "573"));
        snprintf(q, sizeof(q),
                 "//w:tbl[2]/w:tr[w:tc[2]//w:t='Tổng sản lượng lương thực có hạt']"
                 "[w:tc[4]//w:t='%s'][w:tc[5]//w:t='%s'][w:tc[6]//w:t='%s']",
                 prev, plan, est);
        if (count_xpath(doc, q) != 1)
            fail_msg("row 4 is not %s %s %s in the .docx", prev, plan, est);
        xt_run_free(&t);
    }
    xmlFreeDoc(doc);
    free(xml);
    free(data);

    /* an unwritable output: exit 1, named */
    r = xt_district((const char *const[]){"--db", ddb, "rollup", "--report-kind", "so-ket-6-thang",
                                          "--period", "2024-h1", "--format", "docx", "-o",
                                          "/proc/rollup.docx", NULL},
                    NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot write /proc/rollup.docx"));
    xt_run_free(&r);
    free(show);
    free(roll);
    free(mine);
    free(ddb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docx__leftovers_read_as_written_by_hand),
        cmocka_unit_test(test_docx__seed_header_merges),
        cmocka_unit_test_setup_teardown(test_docx__chi_tieu_is_the_widest_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx__seed_docx_structure, setup, teardown),
        cmocka_unit_test(test_docx__any_field_gives_well_formed_xml),
        cmocka_unit_test_setup_teardown(test_docx__text_keeps_leftovers_html_reads_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_docx__unwritable_output_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx__to_a_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docx__district_show_and_rollup, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
