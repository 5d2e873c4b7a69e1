/* The .docx import's test harness (tests/report/test_docx_import_*.c): a: docxfx.h. */
#include "docxfx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

xt_run xi_run_db(const char *db, const char *const *argv)
{
    char env[4200];
    const char *e[] = {env, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    snprintf(env, sizeof(env), "XASYNC_DB=%s", db);
    return xt_xasync(argv, NULL, e);
}

/* A fresh database dir/name of commune hoang-kim (malloc'd path). */
char *xi_new_db(xi_fx *f, const char *name)
{
    char *db = xt_path(f->dir, name);
    xt_run r = xi_run_db(db, (const char *const[]){"init", "--scope", "hoang-kim", NULL});

    if (r.status != 0)
        fail_msg("init: %s", r.err);
    xt_run_free(&r);
    return db;
}

int xi_setup(void **state)
{
    xi_fx *f = calloc(1, sizeof(*f));
    xt_run r;

    f->dir = xt_tempdir();
    f->db = xi_new_db(f, "a.db");
    r = xi_run_db(f->db, (const char *const[]){"report", "import", XA_SEED_REPORT, NULL});
    if (r.status != 0)
        fail_msg("import: %s", r.err);
    xt_run_free(&r);
    *state = f;
    return 0;
}

int xi_teardown(void **state)
{
    xi_fx *f = *state;

    xt_rmdir(f->dir);
    free(f->db);
    free(f);
    return 0;
}

void xi_import_ok(const char *db, const char *file)
{
    xt_run r = xi_run_db(db, (const char *const[]){"report", "import", file, NULL});

    if (r.status != 0)
        fail_msg("import %s: exit %d: %s", file, r.status, r.err);
    assert_non_null(strstr(r.out, "imported report report-2024-h1"));
    xt_run_free(&r);
}

void xi_export_docx(const char *db, const char *out)
{
    xt_run r = xi_run_db(
        db, (const char *const[]){"report", "export", "--format", "docx", "-o", out, NULL});

    if (r.status != 0)
        fail_msg("export docx: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
}

char *xi_export_fmt(const char *db, const char *fmt)
{
    xt_run r = xi_run_db(db, (const char *const[]){"report", "export", "--format", fmt, NULL});
    char *out;

    if (r.status != 0)
        fail_msg("export %s: exit %d: %s", fmt, r.status, r.err);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

cJSON *xi_report_json(const char *db)
{
    char *s = xi_export_fmt(db, "json");
    cJSON *j = cJSON_Parse(s);

    if (j == NULL)
        fail_msg("export json is not JSON: %.200s", s);
    free(s);
    return j;
}

const char *xi_str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *xi_header(const cJSON *j, const char *key)
{
    return xi_str_of(cJSON_GetObjectItemCaseSensitive(j, "header"), key);
}

/* The lines of an array field joined by "\n" (malloc'd). */
char *xi_lines_of(const cJSON *o, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *x;
    xt_sbuf b = {NULL, 0, 0};

    xt_sb_add(&b, "", 0);
    cJSON_ArrayForEach(x, a)
    {
        const char *s = cJSON_IsString(x) ? x->valuestring : "?";

        if (b.n)
            xt_sb_add(&b, "\n", 1);
        xt_sb_add(&b, s, strlen(s));
    }
    return b.p;
}

/* The first live block of a kind whose text (or num) starts with `pre`. */
const cJSON *xi_block(const cJSON *j, const char *kind, const char *key, const char *pre)
{
    const cJSON *b;

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "blocks"))
    {
        if (strcmp(xi_str_of(b, "kind"), kind) == 0 &&
            strncmp(xi_str_of(b, key), pre, strlen(pre)) == 0 &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "deleted")))
            return b;
    }
    fail_msg("no %s block with %s starting \"%s\"", kind, key, pre);
    return NULL;
}

const cJSON *xi_row(const cJSON *j, const char *tt)
{
    return xi_block(j, "row", "tt", tt);
}

void xi_expect_row(const cJSON *j, const char *const cols[10])
{
    static const char *const keys[10] = {"tt",  "name",    "unit",    "prev",   "plan",
                                         "est", "vs_prev", "vs_plan", "remain", "note"};
    const cJSON *r = xi_row(j, cols[0]);

    for (int k = 0; k < 10; k++)
        if (strcmp(xi_str_of(r, keys[k]), cols[k]) != 0)
            fail_msg("row %s %s: \"%s\", not \"%s\"", cols[0], keys[k], xi_str_of(r, keys[k]),
                     cols[k]);
}

/* An HTML page LibreOffice makes the files of xi_lo_convert from. */
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
const char *xi_soffice(void)
{
    const char *s = getenv("XA_SOFFICE");

    return s && s[0] && access(s, X_OK) == 0 ? s : NULL;
}

/* LibreOffice converts dir/name.html to `fmt` ("docx:MS Word 2007 XML");
 * the result's path (malloc'd). */
char *xi_lo_convert(xi_fx *f, const char *name, const char *fmt, const char *ext)
{
    char *html, *prof, *out;
    char base[64], profile[4300];
    xt_run r;

    snprintf(base, sizeof(base), "%s.html", name);
    html = xt_path(f->dir, base);
    xt_write_file(html, LO_HTML, strlen(LO_HTML));
    prof = xt_path(f->dir, "lo-profile");
    snprintf(profile, sizeof(profile), "-env:UserInstallation=file://%s", prof);
    r = xt_exec(xi_soffice(),
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
