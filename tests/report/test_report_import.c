/*
 * What commune offices really have (issue 10): the seed report changed the
 * way Word and Notepad exports and real page breaks change it, imported by
 * the real `xasync` into a real database; figures typed into cells, checked
 * at the door; `report fix` applying a finding's computed fix.
 *
 * Every refusal: exit 1, one line "xasync: …" naming the problem, nothing
 * on standard output, and the database unchanged (its digest).
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define REPORT "report-2024-h1"

typedef struct fx {
    char *dir, *db, *file;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    xt_run r;

    assert_non_null(f);
    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "pc.db");
    f->file = xt_path(f->dir, "report.txt");
    r = xt_xasync(ARGV("--db", f->db, "init", "--scope", "hoang-kim"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    free(f->db);
    free(f->file);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

static char *seed(void)
{
    size_t len = 0;
    char *s = xt_read_file(XA_SEED_REPORT, &len);

    assert_non_null(s);
    return s;
}

/* s with the first `from` replaced by `to` (which must be there); frees s. */
static char *subst(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from), *out;
    size_t fl = strlen(from), tl = strlen(to), n = strlen(s);

    if (at == NULL)
        fail_msg("the text has no '%s'", from);
    out = malloc(n - fl + tl + 1);
    assert_non_null(out);
    memcpy(out, s, (size_t)(at - s));
    memcpy(out + (at - s), to, tl);
    memcpy(out + (at - s) + tl, at + fl, n - (size_t)(at - s) - fl + 1);
    free(s);
    return out;
}

typedef struct counts {
    unsigned long headings, paras, bullets, tables, rows, cells;
} counts;

static xt_run run(fx *f, const char *const *argv)
{
    return xt_xasync(argv, NULL, NULL);
}

/* Import `text` (len bytes): exit 0; the counts it printed; stderr into
 * *err if asked (else it must be empty). */
static counts import_ok(fx *f, const char *text, size_t len, const char *const *extra, char **err)
{
    const char *argv[12] = {"--db", f->db, "report", "import", f->file};
    int n = 5;
    counts c;
    xt_run r;
    const char *p;

    for (; extra && *extra && n < 11; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    xt_write_file(f->file, text, len);
    r = run(f, argv);
    if (r.status != 0)
        fail_msg("import: exit %d: %s", r.status, r.err);
    if (err)
        *err = strdup(r.err);
    else if (r.errlen)
        fail_msg("import wrote to stderr: %s", r.err);
    p = strchr(r.out, ':');
    if (p == NULL || sscanf(p,
                            ": %lu headings, %lu paragraphs, %lu bullets, %lu tables, %lu rows, "
                            "%lu cells",
                            &c.headings, &c.paras, &c.bullets, &c.tables, &c.rows, &c.cells) != 6)
        fail_msg("no summary line: %s", r.out);
    xt_run_free(&r);
    return c;
}

/* A refused command: exit 1, one line naming each of `needles`, nothing
 * written. */
static void refused(fx *f, const char *const *argv, const char *const *needles)
{
    uint64_t before = xt_db_digest(f->db);
    xt_run r = run(f, argv);
    const char *nl;

    if (r.status != 1)
        fail_msg("expected exit 1, got %d: [%s] [%s]", r.status, r.out, r.err);
    assert_int_equal(strncmp(r.err, "xasync: ", 8), 0);
    nl = strchr(r.err, '\n');
    assert_true(nl != NULL && nl[1] == '\0');
    for (; *needles; needles++)
        if (strstr(r.err, *needles) == NULL)
            fail_msg("the message does not say '%s': %s", *needles, r.err);
    assert_int_equal(r.outlen, 0);
    xt_run_free(&r);
    assert_true(before == xt_db_digest(f->db));
}

static void import_refused(fx *f, const char *text, size_t len, const char *const *needles)
{
    xt_write_file(f->file, text, len);
    refused(f, ARGV("--db", f->db, "report", "import", f->file), needles);
    xt_run r = run(f, ARGV("--db", f->db, "report", "list"));
    assert_string_equal(r.out, "");
    xt_run_free(&r);
}

static char *out_of(fx *f, const char *const *argv)
{
    xt_run r = run(f, argv);
    char *s;

    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    s = strdup(r.out);
    xt_run_free(&r);
    return s;
}

static char *export_text(fx *f)
{
    return out_of(f, ARGV("--db", f->db, "report", "export"));
}

static char *field(fx *f, const char *entity, const char *name)
{
    char *s = out_of(f, ARGV("--db", f->db, "get", entity, name));
    size_t n = strlen(s);

    if (n && s[n - 1] == '\n')
        s[n - 1] = '\0';
    return s;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The seed's own counts. */
static void seed_counts(counts c)
{
    assert_int_equal(c.tables, 1);
    assert_int_equal(c.rows, 29);
    assert_int_equal(c.cells, 140);
}

#define HEAD2                                                                                                       \
    "TT\tChỉ tiêu\tĐơn vị tính\tKQ thực hiện 6 tháng 2023\tKH năm 2024 (theo NQ HĐND giao)\tKết "  \
    "quả thực hiện\t\t\tCòn phải thực hiện\tGhi chú\n\t\t\t\t\t6 tháng đầu "                      \
    "năm\t\t\t\t\n\t\t\t\t\t"                                                                                      \
    "Ước thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t\nA\tB\tI\t2\t3\t4\t5=4/2*100\t6=" \
    "4/3*100\t7=3-4\t8\n"

/* ---- import ---------------------------------------------------------------- */

static void test_import__bom_crlf_nbsp(void **state)
{
    fx *f = *state;
    char *s = seed(), *t, *plain, *word;
    size_t n;

    /* Notepad's BOM, Windows line ends, Word's no-break spaces around a
     * figure and inside a name */
    s = subst(s, "\t636,4\t", "\t636,4\xc2\xa0\t");
    s = subst(s, "Tổng sản lượng thủy sản", "Tổng sản lượng\xc2\xa0thủy sản");
    n = strlen(s);
    t = malloc(2 * n + 4);
    assert_non_null(t);
    memcpy(t, "\xef\xbb\xbf", 3);
    size_t k = 3;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            t[k++] = '\r';
        t[k++] = s[i];
    }
    seed_counts(import_ok(f, t, k, NULL, NULL));
    word = export_text(f);
    /* the same report as the seed itself */
    assert_non_null(strstr(word, "\t636,4\t111,1\t"));
    assert_null(strstr(word, "\xc2\xa0"));
    assert_null(strstr(word, "\r"));
    assert_non_null(strstr(word, "\n5\tTổng sản lượng thủy sản\t"));
    plain = field(f, REPORT "/b/0073", "est");
    assert_string_equal(plain, "636,4");
    free(plain);
    free(word);
    free(t);
    free(s);
}

static void test_import__blank_line_inside_the_table(void **state)
{
    fx *f = *state;
    /* the page break left a blank line and no header */
    char *s = subst(seed(), HEAD2, "");
    counts c = import_ok(f, s, strlen(s), NULL, NULL);
    char *e;

    seed_counts(c);
    e = export_text(f);
    /* row 7 is a row, not a paragraph */
    assert_non_null(strstr(e, "\n7\tGiá trị sản phẩm"));
    free(e);
    free(s);
}

static void test_import__stt_header(void **state)
{
    fx *f = *state;
    char *s =
        subst(subst(seed(), "TT\tChi tiêu", "STT\tChi tiêu"), "TT\tChỉ tiêu", "STT\tChỉ tiêu");

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    free(s);
}

static void test_import__only_the_column_number_row_repeated(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), HEAD2, "A\tB\tI\t2\t3\t4\t5=4/2*100\t6=4/3*100\t7=3-4\t8\n"), *e;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    e = export_text(f);
    /* kept, before row 7 */
    assert_non_null(strstr(e, "\nA\tB\tI\t2\t3\t4\t5=4/2*100\t6=4/3*100\t7=3-4\t8\n7\t"));
    free(e);
    free(s);
}

static void test_import__a_table_over_three_pages(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "\n13\tTốc độ tăng dân số", "\n\n" HEAD2 "13\tTốc độ tăng dân số"), *e;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    e = export_text(f);
    assert_int_equal(count(e, "TT\tChỉ tiêu\tĐơn vị tính"), 2);
    assert_int_equal(count(e, "TT\tChi tiêu\tĐơn vị tính"), 1);
    assert_non_null(strstr(e, "8\n13\tTốc độ tăng dân số"));
    free(e);
    free(s);
}

static void test_import__trailing_tabs_stripped(void **state)
{
    fx *f = *state;
    char *s = seed();

    /* Notepad after a trim: no line ends with a tab */
    for (int again = 1; again;) {
        again = 0;
        char *p = strstr(s, "\t\n");
        if (p) {
            memmove(p, p + 1, strlen(p + 1) + 1);
            again = 1;
        }
    }
    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    free(s);
}

static void test_import__an_eleventh_cell_is_refused_or_kept(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "\t624,4\t199,9\t\t", "\t624,4\t199,9\t\t\tvượt dự toán"), *err = NULL,
         *e;
    counts c;

    import_refused(f, s, strlen(s),
                   ARGV("line 158", "11 cells", "vượt dự toán", "--force", "nothing was imported"));
    /* --force keeps it, as a paragraph, and says so */
    c = import_ok(f, s, strlen(s), ARGV("--force"), &err);
    assert_int_equal(c.rows, 28);
    assert_non_null(strstr(err, "line 158"));
    assert_non_null(strstr(err, "kept as a paragraph"));
    e = export_text(f);
    assert_non_null(strstr(e, "vượt dự toán"));
    free(e);
    free(err);
    free(s);
}

static void test_import__issuing_body_motto_number_and_date_on_one_line(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "\n\nSố: /BC-UBND\n\nHoàng Kim, ngày",
                    "UBND HUYỆN HOẰNG HÓA\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                    "UBND XÃ HOÀNG KIM\tĐộc lập - Tự do - Hạnh phúc\n\n"
                    "Số: 15/BC-UBND\t\tHoàng Kim, ngày"),
         *v;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    v = field(f, REPORT, "number");
    assert_string_equal(v, "15/BC-UBND");
    free(v);
    v = field(f, REPORT, "place");
    assert_string_equal(v, "Hoàng Kim");
    free(v);
    v = field(f, REPORT, "body");
    assert_string_equal(v, "UBND HUYỆN HOẰNG HÓA\nUBND XÃ HOÀNG KIM");
    free(v);
    v = field(f, REPORT, "motto");
    assert_string_equal(v, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc");
    free(v);
    v = field(f, REPORT, "doctype");
    assert_string_equal(v, "BÁO CÁO");
    free(v);
    free(s);
}

static void test_import__kt_signature_before_the_recipients(void **state)
{
    fx *f = *state;
    char *s = subst(subst(seed(), "\n\nCHỦ TỊCH\n\nLê Quang Thành", "\n"),
                    "Nơi nhận:", "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\nLê Quang Thành\n\nNơi nhận:"),
         *v;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    v = field(f, REPORT, "signer_role");
    assert_string_equal(v, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH");
    free(v);
    v = field(f, REPORT, "signer_name");
    assert_string_equal(v, "Lê Quang Thành");
    free(v);
    v = field(f, REPORT, "recipients");
    assert_int_equal(count(v, "\n"), 6);
    assert_non_null(strstr(v, "- Lưu:VT."));
    free(v);
    free(s);
}

static void test_import__tm_signature_two_line_role(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "\nCHỦ TỊCH\n", "\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n(Đã ký)\n"), *v, *e;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    v = field(f, REPORT, "signer_role");
    assert_string_equal(v, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n(Đã ký)");
    free(v);
    e = export_text(f);
    assert_non_null(strstr(e, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n(Đã ký)\n\nLê Quang Thành\n"));
    free(e);
    free(s);
}

static void test_import__signature_beside_the_recipients(void **state)
{
    fx *f = *state;
    /* Word's two-column table at the end: recipients left, signature right */
    char *s = subst(subst(seed(), "\n\nCHỦ TỊCH\n\nLê Quang Thành", "\n"),
                    "Nơi nhận:\n\n- HĐTĐ khen thưởng huyện (B/c);\n- Phòng Nội vụ (B/c);\n",
                    "Nơi nhận:\tTM. ỦY BAN NHÂN DÂN\n- HĐTĐ khen thưởng huyện (B/c);\tCHỦ TỊCH\n"
                    "- Phòng Nội vụ (B/c);\t\n\tLê Quang Thành\n"),
         *v;

    seed_counts(import_ok(f, s, strlen(s), NULL, NULL));
    v = field(f, REPORT, "signer_role");
    assert_string_equal(v, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
    free(v);
    v = field(f, REPORT, "signer_name");
    assert_string_equal(v, "Lê Quang Thành");
    free(v);
    v = field(f, REPORT, "recipients");
    assert_non_null(strstr(v, "- HĐTĐ khen thưởng huyện (B/c);\n- Phòng Nội vụ (B/c);\n- BTV"));
    assert_non_null(strstr(v, "- Lưu:VT."));
    free(v);
    free(s);
}

static void test_import__text_after_the_signature(void **state)
{
    fx *f = *state;
    size_t n;
    char *s = seed(), *err = NULL;

    n = strlen(s);
    s = realloc(s, n + 64);
    strcpy(s + n, "\nTrang 12/12\n");
    import_refused(f, s, strlen(s), ARGV("text after the signature", "Trang 12/12"));
    import_ok(f, s, strlen(s), ARGV("--force"), &err);
    assert_non_null(strstr(err, "Trang 12/12"));
    free(err);
    free(s);
}

static void test_import__a_row_with_no_header(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "3. Công tác khen thưởng\n",
                    "3. Công tác khen thưởng\n\n24\tSố gia đình văn hóa\thộ\t1.200\t1.250\t1.230\t"
                    "102,5\t98,4\t20\t\n");

    import_refused(f, s, strlen(s), ARGV("no table header", "24\tSố gia đình văn hóa"));
    free(s);
}

static void test_import__en_dash_bullets_and_a_wrapped_title(void **state)
{
    fx *f = *state;
    char *s = seed(), *v;
    counts before, after;

    before = import_ok(f, s, strlen(s), NULL, NULL);
    s = subst(s, "\n- Nội dung thi đua chưa phong phú", "\n– Nội dung thi đua chưa phong phú");
    s = subst(s, "6 tháng cuối năm 2024\n\nThực hiện công văn",
              "6 tháng cuối\nnăm 2024\n\nThực hiện công văn");
    xt_write_file(f->file, s, strlen(s));
    {
        xt_run r = run(f, ARGV("--db", f->db, "report", "import", "--id", "r2", f->file));
        assert_int_equal(r.status, 0);
        assert_int_equal(sscanf(strchr(r.out, ':'),
                                ": %lu headings, %lu paragraphs, %lu bullets, %lu tables, %lu rows",
                                &after.headings, &after.paras, &after.bullets, &after.tables,
                                &after.rows),
                         5);
        xt_run_free(&r);
    }
    assert_int_equal(after.bullets, before.bullets);
    assert_int_equal(after.paras, before.paras);
    v = field(f, "r2", "title");
    assert_non_null(strstr(v, "6 tháng cuối\nnăm 2024"));
    free(v);
    free(s);
}

static void test_import__malformed_files(void **state)
{
    fx *f = *state;
    static const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n";
    static const char utf16[] = "\xff\xfeS\x00\xd1\x1e:\x00 \x00/\x00B\x00C\x00\n\x00";

    import_refused(f, pdf, sizeof(pdf) - 1, ARGV("PDF"));
    import_refused(f, utf16, sizeof(utf16) - 1, ARGV("UTF-16"));
    import_refused(f, "\xef\xbb\xbf \r\n\r\n", 7, ARGV("empty"));
}

/* ---- figures at the door ----------------------------------------------------- */

static void edit_refused(fx *f, const char *path, const char *value, const char *const *needles)
{
    refused(f, ARGV("--db", f->db, "report", "edit", path, value), needles);
}

static void test_figures__normalised_or_refused(void **state)
{
    fx *f = *state;
    char *s = seed(), *v;

    import_ok(f, s, strlen(s), NULL, NULL);
    /* accepted, stored in the normal form */
    static const char *const ok[][2] = {
        {"1460", "1.460"}, {"636,4", "636,4"}, {"1.234.567,89", "1.234.567,89"},
        {"0,5", "0,5"},    {"-3", "-3"},       {" 640 ", "640"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        free(out_of(f, ARGV("--db", f->db, "report", "edit", "ind/4/est", ok[i][0])));
        v = field(f, REPORT "/b/0073", "est");
        if (strcmp(v, ok[i][1]) != 0)
            fail_msg("'%s' stored as '%s', not '%s'", ok[i][0], v, ok[i][1]);
        free(v);
    }
    /* "%" where the unit is % (row 15): the unit carries it */
    free(out_of(f, ARGV("--db", f->db, "report", "edit", "ind/15/est", "96,1%")));
    v = field(f, REPORT "/b/0085", "est");
    assert_string_equal(v, "96,1");
    free(v);
    /* refused, naming the cell and the accepted forms, in both languages */
    edit_refused(f, "ind/4/est", "1,460",
                 ARGV("ind/4/est", "ambiguous", "không rõ nghĩa", "1.460", "1,46"));
    edit_refused(f, "ind/4/est", "12a",
                 ARGV("ô ind/4/est", "cell ind/4/est", "is not a number", "không phải là số",
                      "1.460 · 636,4 · 1.234.567,89 · 0,5 · -3"));
    edit_refused(f, "ind/4/est", "636.4", ARGV("636,4?", "not a valid number"));
    edit_refused(f, "ind/4/est", "1,234.5", ARGV("1.234,5?"));
    edit_refused(f, "ind/4/est", "96,1%", ARGV("a % sign only where the unit is %"));
    edit_refused(f, "ind/4/est", "1 460", ARGV("a space inside the number"));
    edit_refused(f, "ind/4/est",
                 "1\xc2\xa0"
                 "460",
                 ARGV("non-breaking space"));
    edit_refused(f, "ind/4/est", "Đạt", ARGV("row 4", "holds figures"));
    edit_refused(f, "ind/4/est", "64\n0", ARGV("no line break and no tab", "xuống dòng"));
    edit_refused(f, "ind/4/name", "Tổng sản lượng\tlương thực", ARGV("no line break and no tab"));
    edit_refused(f, "ind/4/note", "a\nb", ARGV("cell ind/4/note"));
    edit_refused(f, "ind/5/vs_plan", "56.7", ARGV("56,7?"));
    free(s);
}

static void test_figures__text_only_in_text_rows(void **state)
{
    fx *f = *state;
    char *s = seed(), *v;

    import_ok(f, s, strlen(s), NULL, NULL);
    /* row 20's plan is "6/6", row 21's "đạt": text rows */
    free(out_of(f, ARGV("--db", f->db, "report", "edit", "ind/20/est", "6/6")));
    free(out_of(f, ARGV("--db", f->db, "report", "edit", "ind/21/est", "Đạt")));
    v = field(f, REPORT "/b/0091", "est");
    assert_string_equal(v, "Đạt");
    free(v);
    /* row 13 is evaluated at year end: it says so */
    free(out_of(f, ARGV("--db", f->db, "report", "edit", "ind/13/est", "Đánh giá vào cuối năm")));
    edit_refused(f, "ind/13/est", "chưa có", ARGV("holds figures"));
    /* a text row takes no ambiguous figure either */
    edit_refused(f, "ind/20/est", "1,460", ARGV("ambiguous"));
    free(s);
}

/* ---- report fix ---------------------------------------------------------------- */

static void test_fix__applies_the_computed_fix_as_an_edit(void **state)
{
    fx *f = *state;
    char *s = seed(), *v, *log, *chk;

    import_ok(f, s, strlen(s), NULL, NULL);
    {
        xt_run r = run(f, ARGV("--db", f->db, "report", "check", "--json"));
        cJSON *a = cJSON_Parse(r.out), *e;
        int seen = 0;
        assert_int_equal(r.status, 1);
        cJSON_ArrayForEach(e, a)
        {
            const cJSON *id = cJSON_GetObjectItem(e, "id"), *fix = cJSON_GetObjectItem(e, "fix");
            if (strcmp(id->valuestring, "table.ratio@ind/5/vs_plan") == 0) {
                seen = 1;
                assert_string_equal(cJSON_GetObjectItem(fix, "path")->valuestring, "ind/5/vs_plan");
                assert_string_equal(cJSON_GetObjectItem(fix, "value")->valuestring, "56,7");
                assert_string_equal(cJSON_GetObjectItem(e, "severity")->valuestring, "error");
            }
        }
        assert_true(seen);
        cJSON_Delete(a);
        xt_run_free(&r);
    }
    v = out_of(f, ARGV("--db", f->db, "report", "fix", "table.ratio@ind/5/vs_plan"));
    assert_string_equal(v, "ind/5/vs_plan := 56,7\n");
    free(v);
    v = field(f, REPORT "/b/0074", "vs_plan");
    assert_string_equal(v, "56,7");
    free(v);
    /* an ordinary edit: in the history, before and after */
    log = out_of(f, ARGV("--db", f->db, "log", REPORT "/b/0074", "vs_plan"));
    assert_non_null(strstr(log, "56,6 -> 56,7"));
    free(log);
    /* no longer found; a finding with no computed fix, or none at all */
    chk = out_of(f, ARGV("--db", f->db, "report", "export"));
    assert_non_null(strstr(chk, "\t43,6\t56,7\t6,5\t"));
    free(chk);
    refused(f, ARGV("--db", f->db, "report", "fix", "table.ratio@ind/5/vs_plan"),
            ARGV("no finding table.ratio@ind/5/vs_plan"));
    refused(f, ARGV("--db", f->db, "report", "fix", "unit.mismatch@ind/9/unit"),
            ARGV("has no computed fix"));
    refused(f, ARGV("--db", f->db, "report", "fix", "99"), ARGV("no finding 99"));
    /* by its number in the list */
    v = out_of(f, ARGV("--db", f->db, "report", "fix", "2"));
    assert_string_equal(v, "ind/4/remain := 823,6\n");
    free(v);
    free(s);
}

static void test_fix__group_count_in_another_spelling(void **state)
{
    fx *f = *state;
    char *s = subst(seed(), "(10 chỉ tiêu)", "(12 Chỉ tiêu )"), *v;

    import_ok(f, s, strlen(s), NULL, NULL);
    v = out_of(f, ARGV("--db", f->db, "report", "fix", "group.count@ind/II/name"));
    assert_string_equal(v, "ind/II/name := Văn hóa - xã hội - Môi trường (10 Chỉ tiêu )\n");
    free(v);
    free(s);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_import__bom_crlf_nbsp),
        T(test_import__blank_line_inside_the_table),
        T(test_import__stt_header),
        T(test_import__only_the_column_number_row_repeated),
        T(test_import__a_table_over_three_pages),
        T(test_import__trailing_tabs_stripped),
        T(test_import__an_eleventh_cell_is_refused_or_kept),
        T(test_import__issuing_body_motto_number_and_date_on_one_line),
        T(test_import__kt_signature_before_the_recipients),
        T(test_import__tm_signature_two_line_role),
        T(test_import__signature_beside_the_recipients),
        T(test_import__text_after_the_signature),
        T(test_import__a_row_with_no_header),
        T(test_import__en_dash_bullets_and_a_wrapped_title),
        T(test_import__malformed_files),
        T(test_figures__normalised_or_refused),
        T(test_figures__text_only_in_text_rows),
        T(test_fix__applies_the_computed_fix_as_an_edit),
        T(test_fix__group_count_in_another_spelling),
    };

    return cmocka_run_group_tests_name("test_report_import", tests, NULL, NULL);
}
