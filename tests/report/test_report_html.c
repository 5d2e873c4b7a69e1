/*
 * Tests of the report's HTML page and JSON document (storage/report_html.c,
 * through xa_report_render()).
 *
 * Checked here, on a report built in memory: the page has the layout of an
 * administrative document (motto, number, place and date, doctype, title,
 * closing block), every block's text appears escaped and in order, deleted
 * blocks and the repeated table header do not, conflicts carry the badge,
 * and the page references no external resource; the JSON parses and holds
 * every documented member with the model's values, control characters and
 * bytes that are not UTF-8 included.
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/report.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define TITLE "Sơ kết <6 tháng> & \"đầu\" năm 'x'"
#define TITLE_HTML "Sơ kết &lt;6 tháng&gt; &amp; &quot;đầu&quot; năm &#39;x&#39;"
#define PARA_TEXT "Dân số 1.567 hộ & 6.410 người; \"trích\" 'dẫn'\tcột\ndòng <hai>"
#define CTRL_TEXT "Kết thúc\x01 báo cáo."

static char *dup(const char *s)
{
    char *d = strdup(s);

    assert_non_null(d);
    return d;
}

static void set(char **field, const char *v)
{
    free(*field);
    *field = dup(v);
}

/* A block with every field "" (as xa_report_load gives them), its id,
 * kind and a pos in insertion order. */
static xa_block *add(xa_report *r, const char *id, const char *kind)
{
    char pos[16];
    xa_block *b = realloc(r->b, (r->n + 1) * sizeof(*r->b));

    assert_non_null(b);
    r->b = b;
    b = &r->b[r->n];
    memset(b, 0, sizeof(*b));
    char **f[] = {&b->id,      &b->kind,    &b->pos,    &b->text, &b->num,   &b->marker, &b->table,
                  &b->tt,      &b->name,    &b->unit,   &b->prev, &b->plan,  &b->est,    &b->note,
                  &b->vs_prev, &b->vs_plan, &b->remain, &b->head, &b->head2, &b->brk};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        *f[i] = dup("");
    snprintf(pos, sizeof(pos), "a%03zu", r->n);
    set(&b->id, id);
    set(&b->kind, kind);
    set(&b->pos, pos);
    r->n++;
    return b;
}

static void row(xa_report *r,
                const char *id,
                const char *tt,
                const char *name,
                const char *prev,
                const char *plan,
                const char *est,
                const char *const d[3],
                const char *note)
{
    /* d: the derived columns as imported (vs_prev, vs_plan, remain) */
    xa_block *b = add(r, id, "row");

    set(&b->table, "t1");
    set(&b->tt, tt);
    set(&b->name, name);
    set(&b->unit, "tấn");
    set(&b->prev, prev);
    set(&b->plan, plan);
    set(&b->est, est);
    set(&b->vs_prev, d[0]);
    set(&b->vs_plan, d[1]);
    set(&b->remain, d[2]);
    set(&b->note, note);
}

/* A report with a block of each kind, a table of a group row and two
 * indicator rows (one with printed derived columns, one computed), a
 * conflict, a deleted block and row, and text that needs escaping. */
static void build(xa_report *r)
{
    xa_block *b;

    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", "report-2024-h1");
    r->kind = dup("so-ket");
    r->period = dup("2024-h1");
    r->number = dup("12/BC-UBND");
    r->place = dup("Hoàng Kim");
    r->date = dup("ngày 5 tháng 7 năm 2024");
    r->doctype = dup("BÁO CÁO");
    r->title = dup(TITLE);
    r->body = dup("");
    r->signer_role = dup("Chủ tịch");
    r->signer_name = dup("Lê Văn An");
    r->recipients_label = dup("Nơi nhận:");
    r->recipients = dup("- Phòng Nội vụ (B/c);\n- Lưu: VT.");

    b = add(r, "p1", "part");
    set(&b->num, "Phần thứ nhất");
    set(&b->text, "KẾT QUẢ THỰC HIỆN");
    b = add(r, "h1", "heading");
    set(&b->num, "I.");
    set(&b->text, "ĐẶC ĐIỂM <tình hình>");
    b = add(r, "x1", "para");
    set(&b->text, PARA_TEXT);
    b->conflict = 1;
    b = add(r, "u1", "bullet");
    set(&b->marker, "+");
    set(&b->text, "Chỉ tiêu a < b && c > d");
    b = add(r, "d1", "para");
    set(&b->text, "ĐOẠN ĐÃ XOÁ");
    b->deleted = 1;
    b = add(r, "t1", "table");
    set(&b->head, "TT\tChỉ tiêu\tĐơn vị tính\tKQ 2023\tKH 2024\tƯớc\tSo với cùng kỳ (%)\t"
                  "So với KH (%)\tCòn phải\tGhi chú\nA\tB\t1\t2\t3\t4\t5=4/2*100\t6\t7\t8");
    set(&b->head2, "TT\tLẶP LẠI\tĐơn vị tính\nA\tB\t1");
    set(&b->brk, "r2");
    row(r, "g1", "I", "Về kinh tế", "", "", "", (const char *const[]){"", "", ""}, "");
    row(r, "r1", "4", "Sản lượng <lương thực>", "573", "1.460", "636,4",
        (const char *const[]){"111,1", "43,6", "824"}, "ghi \"chú\" & 'x'");
    row(r, "r2", "5", "Thủy sản", "100", "200", "50", (const char *const[]){"=", "=", "="}, "");
    r->b[r->n - 1].conflict = 1;
    row(r, "r3", "6", "HÀNG ĐÃ XOÁ", "1", "2", "3", (const char *const[]){"", "", ""}, "");
    r->b[r->n - 1].deleted = 1;
    b = add(r, "e1", "para");
    set(&b->text, CTRL_TEXT);
}

/* Kept out of line: inlined into a test, GCC 12 at -O3 takes `out`, whose
 * address xa_report_render() receives, for a possible target of the page's
 * pointers and warns of a dangling pointer (-Wdangling-pointer) that is not. */
static __attribute__((noinline)) char *render(const xa_report *r, int format)
{
    char *out = NULL;
    int rc = xa_report_render(r, format, &out);

    if (rc != 0)
        fail_msg("render %d: %s (%s)", format, xa_error_name(rc), xa_error_last());
    assert_non_null(out);
    return out;
}

/* s as the page must print it: & < > " ' escaped, newlines as <br>. */
static char *esc(const char *s)
{
    size_t cap = strlen(s) * 6 + 1, n = 0;
    char *o = malloc(cap);

    assert_non_null(o);
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\n':
            rep = "<br>\n";
            break;
        }
        if (rep) {
            memcpy(o + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            o[n++] = *s;
        }
    }
    o[n] = '\0';
    return o;
}

/* The position of s (escaped) in the page, failing the test if absent. */
static size_t find_esc(const char *page, const char *s)
{
    char *e = esc(s);
    const char *at = strstr(page, e);

    if (at == NULL)
        fail_msg("not in the page, escaped: %s", e);
    free(e);
    return (size_t)(at - page);
}

static size_t count(const char *s, const char *sub)
{
    size_t n = 0;

    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
        n++;
    return n;
}

static void test_report_html__page_has_the_document_layout(void **state)
{
    xa_report r;
    char *page;

    build(&r);
    page = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(page, "<!DOCTYPE html>"));
    assert_non_null(strstr(page, "<html lang=\"vi\">"));
    assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(page, "<title>" TITLE_HTML "</title>"));
    assert_non_null(strstr(page, "<style>"));
    assert_non_null(strstr(page, "@page { size: A4; margin: 2cm 1.5cm 2cm 3cm; }"));
    assert_non_null(strstr(page, "\"Times New Roman\""));
    /* the motto, the body from the place, the number, place and date */
    assert_non_null(strstr(page, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert_non_null(strstr(page, "Độc lập - Tự do - Hạnh phúc"));
    assert_non_null(strstr(page, "UBND XÃ HOÀNG KIM"));
    assert_non_null(strstr(page, "Số: 12/BC-UBND"));
    assert_non_null(strstr(page, "Hoàng Kim, ngày 5 tháng 7 năm 2024"));
    assert_non_null(strstr(page, "<p class=\"doctype\">BÁO CÁO</p>"));
    assert_non_null(strstr(page, "<p class=\"title\">" TITLE_HTML "</p>"));
    /* the closing block: label, recipients, the signer's role in capitals */
    assert_non_null(strstr(page, "Nơi nhận:"));
    assert_non_null(strstr(page, "- Phòng Nội vụ (B/c);<br>\n- Lưu: VT."));
    assert_non_null(strstr(page, "CHỦ TỊCH"));
    assert_non_null(strstr(page, "Lê Văn An"));
    /* the motto comes before the title, the title before the body, the
     * body before the signature */
    assert_true(strstr(page, "Độc lập") < strstr(page, "class=\"title\""));
    assert_true(strstr(page, "class=\"title\"") < strstr(page, "Phần thứ nhất"));
    assert_true(strstr(page, "Ghi chú") < strstr(page, "Nơi nhận:"));
    free(page);
    xa_report_free(&r);
}

static void test_report_html__every_text_is_escaped_in_order(void **state)
{
    xa_report r;
    char *page;
    size_t last = 0;

    build(&r);
    page = render(&r, XA_REPORT_HTML);
    for (size_t i = 0; i < r.n; i++) {
        const xa_block *b = &r.b[i];
        const char *t = strcmp(b->kind, "row") == 0 ? b->name : b->text;
        size_t at;

        /* the table is its rows; the control character is checked below */
        if (b->deleted || strcmp(b->kind, "table") == 0 || strchr(t, '\x01') != NULL)
            continue;
        at = find_esc(page, t);
        if (at < last)
            fail_msg("block %s printed out of order", b->id);
        last = at;
        if (strcmp(b->kind, "row") == 0)
            find_esc(page, b->note);
    }
    find_esc(page, "I. ĐẶC ĐIỂM <tình hình>");
    find_esc(page, "+ Chỉ tiêu a < b && c > d");
    find_esc(page, "Phần thứ nhất");
    /* nothing raw */
    assert_null(strstr(page, "<tình hình>"));
    assert_null(strstr(page, "<hai>"));
    assert_null(strstr(page, "<lương thực>"));
    assert_null(strstr(page, "'dẫn'"));
    /* a control character is not copied into the page */
    assert_null(strchr(page, '\x01'));
    assert_non_null(strstr(page, "Kết thúc&#xFFFD; báo cáo."));
    /* deleted blocks and the repeated header are not printed */
    assert_null(strstr(page, "ĐOẠN ĐÃ XOÁ"));
    assert_null(strstr(page, "HÀNG ĐÃ XOÁ"));
    assert_null(strstr(page, "LẶP LẠI"));
    free(page);
    xa_report_free(&r);
}

static void test_report_html__table_rows_figures_and_groups(void **state)
{
    xa_report r;
    char *page;

    build(&r);
    page = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(page, "<table class=\"ind\""));
    /* both header lines as <th> rows, once */
    assert_int_equal(count(page, "<th>TT</th>"), 1);
    assert_non_null(strstr(page, "<th>A</th><th>B</th>"));
    /* the line of column numbers: a formula may break after its "=" */
    assert_non_null(strstr(page, "<th>5=<wbr>4/2*100</th>"));
    /* the group row is bold, the figures right-aligned */
    assert_non_null(strstr(page, "<tr class=\"group\""));
    assert_non_null(strstr(page, "<td class=\"n\">1.460</td>"));
    assert_non_null(strstr(page, "<td class=\"n\">636,4</td>"));
    assert_non_null(strstr(page, "<td class=\"n\">111,1</td>"));
    assert_non_null(strstr(page, "<td class=\"n\">43,6</td>"));
    assert_non_null(strstr(page, "<td class=\"n\">824</td>"));
    /* the computed columns are figures, not the "=" placeholder */
    assert_null(strstr(page, "<td class=\"n\">=</td>"));
    /* rows in the table, the table before the next block */
    assert_true(strstr(page, "Thủy sản") < strstr(page, "</table>\n<p class=\"para\""));
    free(page);
    xa_report_free(&r);
}

static void test_report_html__conflicts_are_marked(void **state)
{
    xa_report r;
    char *page;

    build(&r);
    page = render(&r, XA_REPORT_HTML);
    /* the paragraph and the row in conflict, not the header */
    assert_non_null(
        strstr(page, "<p class=\"para conflict\" data-block=\"x1\"><span class=\"badge\""));
    assert_non_null(strstr(page, "<tr class=\"conflict\" data-block=\"r2\">"));
    assert_int_equal(count(page, "class=\"badge\""), 2);
    assert_int_equal(count(page, ">XUNG ĐỘT</span>"), 2);
    assert_non_null(strstr(page, ".conflict { background: #fff3a0;"));
    assert_null(strstr(page, "header conflict"));
    free(page);

    r.header_conflict = 1;
    page = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(page, "<div class=\"header conflict\"><span class=\"badge\""));
    assert_non_null(strstr(page, "<table class=\"sig conflict\">"));
    assert_int_equal(count(page, ">XUNG ĐỘT</span>"), 4);
    free(page);

    /* no conflict anywhere: no badge */
    r.header_conflict = 0;
    for (size_t i = 0; i < r.n; i++)
        r.b[i].conflict = 0;
    page = render(&r, XA_REPORT_HTML);
    assert_null(strstr(page, "class=\"badge\""));
    assert_null(strstr(page, "XUNG ĐỘT</span>"));
    free(page);
    xa_report_free(&r);
}

static void test_report_html__no_external_resource(void **state)
{
    xa_report r;
    char *page;

    build(&r);
    page = render(&r, XA_REPORT_HTML);
    assert_null(strstr(page, "http"));
    assert_null(strstr(page, "//"));
    assert_null(strstr(page, "src="));
    assert_null(strstr(page, "url("));
    assert_null(strstr(page, "@import"));
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "<link"));
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "@font-face"));
    for (const char *h = strstr(page, "href="); h; h = strstr(h + 1, "href="))
        assert_true(strncmp(h, "href=\"#", 7) == 0);
    free(page);
    xa_report_free(&r);
}

static void test_report_html__body_in_capitals(void **state)
{
    xa_report r;
    char *page;

    build(&r);
    set(&r.body, "Ủy ban nhân dân xã đông ơư");
    page = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(page, "ỦY BAN NHÂN DÂN XÃ ĐÔNG ƠƯ"));
    assert_null(strstr(page, "UBND XÃ HOÀNG KIM"));
    free(page);
    xa_report_free(&r);
}

static const char *jget(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(v))
        fail_msg("member \"%s\" is not a string", key);
    return v->valuestring;
}

static int jbool(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsBool(v))
        fail_msg("member \"%s\" is not a boolean", key);
    return cJSON_IsTrue(v);
}

/* The derived columns of the row with TT `tt` in the text form. */
static void text_derived(const char *text, const char *tt, char d[3][32])
{
    char start[16];
    const char *p;
    int n = snprintf(start, sizeof(start), "\n%s\t", tt);

    assert_true(n > 0 && (size_t)n < sizeof(start));
    p = strstr(text, start);
    assert_non_null(p);
    p += strlen(start);
    for (int col = 1; col < 6; col++) { /* past name unit prev plan est */
        p = strchr(p, '\t');
        assert_non_null(p);
        p++;
    }
    for (int k = 0; k < 3; k++) {
        size_t len = strcspn(p, "\t\n");
        assert_true(len < 32);
        memcpy(d[k], p, len);
        d[k][len] = '\0';
        p += len + 1;
    }
}

static void test_report_html__json_has_every_member(void **state)
{
    xa_report r;
    char *js, *text;
    cJSON *doc;
    const cJSON *h, *blocks, *a;

    build(&r);
    js = render(&r, XA_REPORT_JSON);
    doc = cJSON_Parse(js);
    if (doc == NULL)
        fail_msg("JSON does not parse near: %.60s", cJSON_GetErrorPtr());
    assert_string_equal(jget(doc, "id"), "report-2024-h1");

    h = cJSON_GetObjectItemCaseSensitive(doc, "header");
    assert_true(cJSON_IsObject(h));
    assert_string_equal(jget(h, "number"), "12/BC-UBND");
    assert_string_equal(jget(h, "place"), "Hoàng Kim");
    assert_string_equal(jget(h, "date"), "ngày 5 tháng 7 năm 2024");
    assert_string_equal(jget(h, "doctype"), "BÁO CÁO");
    assert_string_equal(jget(h, "title"), TITLE);
    assert_string_equal(jget(h, "body"), "");
    assert_string_equal(jget(h, "signer_role"), "Chủ tịch");
    assert_string_equal(jget(h, "signer_name"), "Lê Văn An");
    assert_false(jbool(h, "conflict"));
    a = cJSON_GetObjectItemCaseSensitive(h, "recipients");
    assert_true(cJSON_IsArray(a));
    assert_int_equal(cJSON_GetArraySize(a), 2);
    assert_string_equal(cJSON_GetArrayItem(a, 0)->valuestring, "- Phòng Nội vụ (B/c);");
    assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, "- Lưu: VT.");

    blocks = cJSON_GetObjectItemCaseSensitive(doc, "blocks");
    assert_true(cJSON_IsArray(blocks));
    assert_int_equal(cJSON_GetArraySize(blocks), (int)r.n);
    for (size_t i = 0; i < r.n; i++) {
        const xa_block *b = &r.b[i];
        const cJSON *o = cJSON_GetArrayItem(blocks, (int)i);

        assert_string_equal(jget(o, "id"), b->id);
        assert_string_equal(jget(o, "kind"), b->kind);
        assert_string_equal(jget(o, "pos"), b->pos);
        assert_string_equal(jget(o, "text"), b->text);
        assert_string_equal(jget(o, "num"), b->num);
        assert_string_equal(jget(o, "marker"), b->marker);
        assert_int_equal(jbool(o, "deleted"), b->deleted);
        assert_int_equal(jbool(o, "conflict"), b->conflict);
        if (strcmp(b->kind, "row") == 0) {
            assert_string_equal(jget(o, "tt"), b->tt);
            assert_string_equal(jget(o, "name"), b->name);
            assert_string_equal(jget(o, "unit"), b->unit);
            assert_string_equal(jget(o, "prev"), b->prev);
            assert_string_equal(jget(o, "plan"), b->plan);
            assert_string_equal(jget(o, "est"), b->est);
            assert_string_equal(jget(o, "note"), b->note);
            assert_string_equal(jget(o, "table"), "t1");
            jget(o, "vs_prev");
            jget(o, "vs_plan");
            jget(o, "remain");
        } else {
            assert_null(cJSON_GetObjectItemCaseSensitive(o, "tt"));
        }
        if (strcmp(b->kind, "table") == 0) {
            a = cJSON_GetObjectItemCaseSensitive(o, "head");
            assert_true(cJSON_IsArray(a));
            assert_int_equal(cJSON_GetArraySize(a), 2);
            assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring,
                                "A\tB\t1\t2\t3\t4\t5=4/2*100\t6\t7\t8");
        }
    }
    /* the tab, newline, quotes and control character survive */
    assert_string_equal(jget(cJSON_GetArrayItem(blocks, 2), "text"), PARA_TEXT);
    assert_string_equal(jget(cJSON_GetArrayItem(blocks, (int)r.n - 1), "text"), CTRL_TEXT);
    assert_non_null(strstr(js, "Kết thúc\\u0001 báo cáo."));
    assert_non_null(strstr(js, "'dẫn'\\tcột\\ndòng <hai>"));

    /* derived columns as printed: the imported ones kept, the others as
     * the text form prints them */
    {
        const cJSON *r1 = cJSON_GetArrayItem(blocks, 7), *r2 = cJSON_GetArrayItem(blocks, 8);
        char d[3][32];

        assert_string_equal(jget(r1, "id"), "r1");
        assert_string_equal(jget(r1, "vs_prev"), "111,1");
        assert_string_equal(jget(r1, "vs_plan"), "43,6");
        assert_string_equal(jget(r1, "remain"), "824");
        text = render(&r, XA_REPORT_TEXT);
        text_derived(text, "5", d);
        assert_string_equal(jget(r2, "id"), "r2");
        assert_string_equal(jget(r2, "vs_prev"), d[0]);
        assert_string_equal(jget(r2, "vs_plan"), d[1]);
        assert_string_equal(jget(r2, "remain"), d[2]);
        assert_true(d[0][0] != '\0' && strcmp(d[0], "=") != 0);
        free(text);
    }
    cJSON_Delete(doc);
    free(js);

    /* the header's conflict */
    r.header_conflict = 1;
    js = render(&r, XA_REPORT_JSON);
    doc = cJSON_Parse(js);
    assert_non_null(doc);
    assert_true(jbool(cJSON_GetObjectItemCaseSensitive(doc, "header"), "conflict"));
    cJSON_Delete(doc);
    free(js);
    xa_report_free(&r);
}

static void test_report_html__bytes_not_utf8_are_replaced(void **state)
{
    xa_report r;
    char *js, *page;
    cJSON *doc;

    build(&r);
    set(&r.title, "ab\xff\xc3(cd\xed\xa0\x80");
    js = render(&r, XA_REPORT_JSON);
    doc = cJSON_Parse(js);
    assert_non_null(doc);
    assert_string_equal(jget(cJSON_GetObjectItemCaseSensitive(doc, "header"), "title"),
                        "ab\xef\xbf\xbd\xef\xbf\xbd(cd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    cJSON_Delete(doc);
    free(js);
    page = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(page, "<title>ab&#xFFFD;&#xFFFD;(cd&#xFFFD;&#xFFFD;&#xFFFD;</title>"));
    assert_null(strchr(page, '\xff'));
    free(page);
    xa_report_free(&r);
}

static void test_report_html__empty_report_and_bad_arguments(void **state)
{
    xa_report r;
    char *out = (char *)"untouched";
    char *js;
    cJSON *doc;

    memset(&r, 0, sizeof(r)); /* every field NULL, no blocks */
    assert_int_equal(xa_report_render(NULL, XA_REPORT_HTML, &out), XA_EINVAL);
    assert_int_equal(xa_report_render(NULL, XA_REPORT_JSON, &out), XA_EINVAL);
    assert_string_equal(out, "untouched");
    assert_int_equal(xa_report_render(&r, XA_REPORT_HTML, NULL), XA_EINVAL);
    out = render(&r, XA_REPORT_HTML);
    assert_non_null(strstr(out, "Độc lập - Tự do - Hạnh phúc"));
    assert_null(strstr(out, "Nơi nhận"));
    free(out);
    js = render(&r, XA_REPORT_JSON);
    doc = cJSON_Parse(js);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "blocks")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(doc, "header"), "recipients")),
                     0);
    cJSON_Delete(doc);
    free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_html__page_has_the_document_layout),
        cmocka_unit_test(test_report_html__every_text_is_escaped_in_order),
        cmocka_unit_test(test_report_html__table_rows_figures_and_groups),
        cmocka_unit_test(test_report_html__conflicts_are_marked),
        cmocka_unit_test(test_report_html__no_external_resource),
        cmocka_unit_test(test_report_html__body_in_capitals),
        cmocka_unit_test(test_report_html__json_has_every_member),
        cmocka_unit_test(test_report_html__bytes_not_utf8_are_replaced),
        cmocka_unit_test(test_report_html__empty_report_and_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
