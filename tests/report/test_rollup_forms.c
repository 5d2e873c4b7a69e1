/*
 * Forms (include/xasync/form.h) through the real `xasync` and
 * `xasync-district` programs and a real server on a loopback port: units,
 * names and periods; bad forms refused (a one-line message, exit 1, the
 * district's database unchanged); forms reaching a PC by USB from another
 * PC of its commune.  The harness: tests/support/rollupfx.h.
 */
#include "rollupfx.h"
#include "xasync/error.h"
#include "xasync/form.h"

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

/* ---- tests ----------------------------------------------------------------------- */

static void test_rollup__units_names_and_periods(void **state)
{
    xa_vnum v, w;
    char buf[64], per[32];
    (void)state;

    /* 4.000 tạ are 400 tấn; 35.000 m² are 3,5 ha; 2 Trđ are 2.000.000 đồng */
    assert_int_equal(xa_figure_parse("4.000", &v), 0);
    assert_int_equal(xa_unit_convert(&v, "tạ", "tấn", NULL, 0, &w), 0);
    xa_vnum_decimal(&w, buf, sizeof(buf));
    assert_string_equal(buf, "400");
    assert_int_equal(xa_figure_parse("35.000", &v), 0);
    assert_int_equal(xa_unit_convert(&v, "m²", "Ha", NULL, 0, &w), 0);
    xa_vnum_decimal(&w, buf, sizeof(buf));
    assert_string_equal(buf, "3.5");
    assert_int_equal(xa_figure_parse("2", &v), 0);
    assert_int_equal(xa_unit_convert(&v, "Trđ", "đồng", NULL, 0, &w), 0);
    xa_vnum_decimal(&w, buf, sizeof(buf));
    assert_string_equal(buf, "2000000");
    assert_int_equal(xa_unit_convert(&v, "tr.đ", "triệu đồng", NULL, 0, &w), 0);
    /* units that do not convert */
    assert_int_equal(xa_unit_convert(&v, "tấn", "ha", NULL, 0, &w), XA_EINVAL);
    assert_int_equal(xa_unit_convert(&v, "hộ", "DN", NULL, 0, &w), XA_EINVAL);
    assert_int_equal(xa_unit_convert(&v, "suất", "người", NULL, 0, &w), XA_EINVAL);
    /* an NBSP between digit groups is the thousands dot; at the ends, nothing */
    assert_int_equal(xa_figure_parse("36" NBSP "054", &v), 0);
    xa_vnum_decimal(&v, buf, sizeof(buf));
    assert_string_equal(buf, "36054");
    assert_int_equal(xa_figure_parse(NBSP "636,4" NBSP, &v), 0);
    xa_vnum_decimal(&v, buf, sizeof(buf));
    assert_string_equal(buf, "636.4");
    assert_true(xa_figure_parse("3a", &v) < 0);

    /* names: case, NBSP, runs of spaces, abbreviations; diacritics only folded */
    char *a = xa_name_key("Số thôn đạt chuẩn NTM" NBSP " kiểu  mẫu", 0);
    char *b = xa_name_key("số thôn đạt chuẩn nông thôn mới kiểu mẫu:", 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = xa_name_key("Tổng sản lượng lương thực", 0);
    b = xa_name_key("Tong san luong luong thuc", 0);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    a = xa_name_key("Tổng sản lượng lương thực", 1);
    b = xa_name_key("Tong san luong luong thuc", 1);
    assert_string_equal(a, b);
    free(a);
    free(b);

    /* periods */
    assert_int_equal(xa_period_check("half-year", "2024-h1"), 0);
    assert_int_equal(xa_period_check("quarter", "2024-q3"), 0);
    assert_int_equal(xa_period_check("year", "2024"), 0);
    assert_int_equal(xa_period_check("month", "2024-07"), 0);
    assert_int_equal(xa_period_check("half-year", "2024-H1"), XA_EINVAL);
    assert_int_equal(xa_period_check("month", "2024-13"), XA_EINVAL);
    assert_int_equal(xa_period_check("quarter", "2024-q5"), XA_EINVAL);
    assert_int_equal(xa_period_check("year", "24"), XA_EINVAL);
    /* a year-end report dated January 2025 whose title says 2024 is 2024's */
    assert_int_equal(xa_period_guess("\n\nThạch Kim, ngày 10 tháng 1 năm 2025\n\nBÁO CÁO\n\n"
                                     "Tổng kết công tác thi đua khen thưởng năm 2024\n",
                                     "year", per, sizeof(per)),
                     0);
    assert_string_equal(per, "2024");
    /* a title with no year: the date's, a January date meaning the year before */
    assert_int_equal(xa_period_guess("Thạch Kim, ngày 8 tháng 1 năm 2025\n\nBÁO CÁO\n\n"
                                     "TỔNG KẾT CÔNG TÁC THI ĐUA KHEN THƯỞNG\n",
                                     "year", per, sizeof(per)),
                     0);
    assert_string_equal(per, "2024");
    /* a capitalised title; the half looked back on is named first */
    assert_int_equal(xa_period_guess("Hoàng Kim, ngày 5 tháng 7 năm 2024\n\nBÁO CÁO\n\nSƠ KẾT 6 "
                                     "THÁNG ĐẦU NĂM, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2024\n",
                                     "half-year", per, sizeof(per)),
                     0);
    assert_string_equal(per, "2024-h1");
    assert_int_equal(
        xa_period_guess("BÁO CÁO\n\nBáo cáo quý III năm 2024\n", "quarter", per, sizeof(per)), 0);
    assert_string_equal(per, "2024-q3");
    assert_int_equal(
        xa_period_guess("BÁO CÁO\n\nBáo cáo công tác\n", "half-year", per, sizeof(per)), XA_EINVAL);
}

/* Bad forms: a clear message, exit 1, the district's database unchanged. */
static void test_rollup__bad_forms_refused(void **state)
{
    xu_fx *f = *state;
    struct {
        const char *name, *json, *needle;
    } bad[] = {
        {"not-a-form.json", "{\"hello\": 1}", "not a form"},
        {"not-json.json", "TT\tChỉ tiêu\n", "not a form"},
        {"agg.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"so-ket-6-thang\","
         "\"period_type\":\"half-year\",\"indicators\":[{\"code\":\"KT-04\",\"name\":\"Sản "
         "lượng\",\"unit\":\"tấn\",\"aggregation\":\"median\"}]}",
         "unknown aggregation 'median'"},
        {"conv.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"so-ket-6-thang\","
         "\"period_type\":\"half-year\",\"indicators\":[{\"code\":\"KT-04\",\"name\":\"Sản "
         "lượng\",\"unit\":\"tấn\",\"aggregation\":\"sum\",\"also_units\":[\"ha\"]}]}",
         "no conversion from ha to tấn"},
        {"unit.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"so-ket-6-thang\","
         "\"period_type\":\"half-year\",\"indicators\":[{\"code\":\"KT-04\",\"name\":\"Sản "
         "lượng\",\"unit\":\"bao\",\"aggregation\":\"sum\"}]}",
         "unit 'bao' is not in the unit table"},
        {"period.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"so-ket-6-thang\","
         "\"period_type\":\"weekly\",\"indicators\":[{\"code\":\"KT-04\",\"name\":\"Sản "
         "lượng\",\"unit\":\"tấn\"}]}",
         "period type 'weekly' is not one of half-year, year, quarter, month"},
        {"kind.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"bao-cao-tuan\","
         "\"period_type\":\"month\",\"indicators\":[{\"code\":\"KT-04\",\"name\":\"Sản "
         "lượng\",\"unit\":\"tấn\"}]}",
         "kind 'bao-cao-tuan' is not one of"},
        {"ratio.json",
         "{\"format\":\"xasync-form\",\"version\":1,\"id\":\"f1\",\"kind\":\"quy\","
         "\"period_type\":\"quarter\",\"indicators\":[{\"code\":\"YT-01\",\"name\":\"Tỷ lệ\","
         "\"unit\":\"%\",\"aggregation\":\"ratio\",\"numerator\":\"YT-02\",\"denominator\":"
         "\"YT-03\"}]}",
         "both must be codes of the form"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = xu_write_report(f, bad[i].name, bad[i].json);
        D_REFUSED(f->ddb, 1, bad[i].needle, "--db", f->ddb, "form", "add", p);
        free(p);
    }
    /* a new kind is taken when the district says so */
    char *p = xu_write_report(f, "kind.json", bad[6].json);
    D_OK("--db", f->ddb, "form", "add", p, "--new-kind");
    free(p);
    char *list = D_OUT("--db", f->ddb, "form", "list");
    assert_non_null(strstr(list, "f1\tbao-cao-tuan\tmonth"));
    free(list);
    /* accept / return of a report that does not exist */
    D_REFUSED(f->ddb, 1, "holds no report", "--db", f->ddb, "accept", "xa-an", "report-2024-h1");
    D_REFUSED(f->ddb, 2, "--reason", "--db", f->ddb, "return", "xa-an", "report-2024-h1");
    /* a rollup for a period outside the form's period type */
    xu_make_form(f);
    D_REFUSED(f->ddb, 1, "valid: 2024-h1", "--db", f->ddb, "rollup", "--form", FORM, "--period",
              "2024-q3");
}

/* Forms reach a PC by USB from another PC of its commune; that PC then
 * syncs.  The district's own ops come back to it from two communes: they
 * belong to neither (once refused as "belongs to another commune"); an op
 * in the district's name that it never wrote is refused. */
static void test_rollup__forms_by_usb(void **state)
{
    xu_fx *f = *state;
    const char *sc[] = {"xa-an", "xa-binh"};
    char *out;

    /* one version of the form: a PC that starts from the district's snapshot
     * holds its whole history and can pass it on */
    D_OK("--db", f->ddb, "form", "add", "--from-report", XA_SEED_REPORT, "--id", FORM);
    xt_server_start(&f->srv, f->ddb, NULL);
    for (size_t i = 0; i < 2; i++) {
        char n1[32], n2[32];
        snprintf(n1, sizeof(n1), "%s-1", sc[i]);
        snprintf(n2, sizeof(n2), "%s-2", sc[i]);
        char *a = xu_pc(f, n1), *b = xu_pc(f, n2), *ops = xt_path(f->dir, "ops.json");
        xt_pc_setup(f->dir, a, sc[i], f->srv.port);
        xt_pc_setup(f->dir, b, sc[i], f->srv.port);
        xu_sync_pc(a);
        out = X_OUT("--db", a, "export-ops", "--all");
        xt_write_file(ops, out, strlen(out));
        free(out);
        X_OK("--db", b, "apply", ops);
        out = X_OUT("--db", b, "show", "form/" FORM);
        assert_non_null(strstr(out, "xasync-form"));
        free(out);
        xu_sync_pc(b); /* sends the district's op back: harmless */
        /* the form is read-only on the PC that got it by USB too */
        X_REFUSED(b, 1, "read-only", "--db", b, "set", "form/" FORM, "json", "x");
        if (i == 0) {
            /* an import without --form binds to the one form of its kind */
            out = X_OUT("--db", b, "report", "import", XA_SEED_REPORT);
            assert_non_null(strstr(out, "bound to form: 26 by name"));
            free(out);
            /* a row renamed is bound again: without diacritics (reported),
             * then, its name matching nothing, by its position only (reported,
             * and never counted by the district until confirmed) */
            X_OK("--db", b, "report", "edit", "ind/4/name", "Tong san luong luong thuc co hat");
            xt_run r = xt_xasync(ARGV("--db", b, "report", "check"), NULL, NULL);
            if (strstr(r.out, "[bind.fallback]") == NULL)
                fail_msg("check does not report the fallback binding: %s", r.out);
            xt_run_free(&r);
            X_OK("--db", b, "report", "edit", "ind/4/name", "Sản lượng cà phê");
            r = xt_xasync(ARGV("--db", b, "report", "check"), NULL, NULL);
            if (strstr(r.out, "[bind.position]") == NULL ||
                strstr(r.out, "row \"Sản lượng cà phê\" matches CT-04") == NULL)
                fail_msg("check does not report the row bound by position: %s", r.out);
            xt_run_free(&r);
            /* bound by hand, it stays bound through a rename */
            X_OK("--db", b, "report", "bind", "ind/4", "CT-04");
            X_OK("--db", b, "report", "edit", "ind/4/name", "Sản lượng lúa và ngô");
            out = X_OUT("--db", b, "report", "export", "--format", "json");
            assert_non_null(strstr(out, "\"code\":\"CT-04\",\"bound_by\":\"manual\""));
            free(out);
        }
        if (i == 1) {
            /* an op in the district's name, seq 2 of a scope where it wrote 1 */
            char *held = xt_read_file(ops, NULL);
            cJSON *doc = cJSON_Parse(held), *nodes = cJSON_GetObjectItem(doc, "nodes");
            cJSON *list = nodes->child,
                  *op = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
            cJSON *forged = cJSON_CreateArray();
            cJSON_AddItemToArray(forged, cJSON_CreateNumber(op->child->valuedouble + 1));
            cJSON_AddItemToArray(forged, cJSON_CreateString("form/evil"));
            cJSON_AddItemToArray(forged, cJSON_CreateString("json"));
            cJSON_AddItemToArray(forged, cJSON_CreateString("\"forged\""));
            cJSON_AddItemToArray(forged, cJSON_CreateObject());
            cJSON_AddItemToArray(forged, cJSON_CreateNumber(1.8e12));
            cJSON_AddItemToArray(forged, cJSON_CreateString("mallory"));
            while (cJSON_GetArraySize(list) > 0)
                cJSON_DeleteItemFromArray(list, 0);
            cJSON_AddItemToArray(list, forged);
            char *s = cJSON_PrintUnformatted(doc);
            xt_write_file(ops, s, strlen(s));
            free(s);
            cJSON_Delete(doc);
            free(held);
            X_OK("--db", b, "apply", ops);
            uint64_t before = xt_db_digest(f->ddb);
            xt_run r = xt_xasync(ARGV("--db", b, "sync"), NULL, NULL);
            assert_int_not_equal(r.status, 0);
            if (strstr(r.err, "district's own name") == NULL)
                fail_msg("the forged op is not refused as such: %s", r.err);
            xt_run_free(&r);
            assert_true(xt_db_digest(f->ddb) == before);
        }
        free(a);
        free(b);
        free(ops);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollup__units_names_and_periods),
        cmocka_unit_test_setup_teardown(test_rollup__bad_forms_refused, xu_setup, xu_teardown),
        cmocka_unit_test_setup_teardown(test_rollup__forms_by_usb, xu_setup, xu_teardown),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
