/*
 * Forms, binding, a report's life and the district's rollup by meaning
 * (include/xasync/form.h), through the real `xasync` and `xasync-district`
 * programs and a real server on a loopback port.
 *
 * The district makes its form from the seed report and decides what the
 * seed leaves open (Chi ngân sách in Trđ, added up; grain may come in tạ).
 * Seven communes, whose reports differ as real ones do:
 *   An     the seed as it is; sent, accepted, then edited (a new draft: the
 *          district keeps counting what was sent);
 *   Bình   one extra row (the rows after it renumbered), two rows swapped,
 *          winter crops in m², "3a" enterprises;
 *   Cường  grain in tạ, an NBSP between the digit groups of a figure, the
 *          enterprises in hộ (which do not convert to DN);
 *   Đông   two PCs that changed the winter-crop area apart: a conflict left
 *          open when the report was sent;
 *   Én     a first report with a wrong figure, then a corrected one sent
 *          under an id that sorts first (the latest submit wins);
 *   Phú    a draft, never sent;
 *   Giang  never synced.
 * The rollup must equal the totals this test computes from the figures it
 * wrote, and name every figure it leaves out, with its reason.  Every bad
 * input: a one-line message, exit 1, the database unchanged.
 *
 * This suite: the seven communes' rollup.  The harness:
 * tests/support/rollupfx.h.
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

static void test_rollup__seven_communes(void **state)
{
    xu_fx *f = *state;
    char *db[NC + 1], *d2, *text, *p, *out;

    xu_make_form(f);
    xt_server_start(&f->srv, f->ddb, NULL);
    for (size_t i = 0; i < NC; i++) {
        db[i] = xu_pc(f, C[i].scope);
        xt_pc_setup(f->dir, db[i], C[i].scope, f->srv.port);
    }
    d2 = xu_pc(f, "xa-dong-2");
    xt_pc_setup(f->dir, d2, "xa-dong", f->srv.port);
    for (size_t i = 0; i + 1 < NC; i++)
        xu_sync_pc(db[i]); /* the form reaches every PC that syncs */
    xu_sync_pc(d2);

    /* forms are read-only on a PC */
    X_REFUSED(db[0], 1, "read-only", "--db", db[0], "set", "form/" FORM, "json", "{}");

    /* An: the seed, sent */
    X_OK("--db", db[0], "report", "import", XA_SEED_REPORT, "--form", FORM);
    /* a bind to a code not in the form is refused, nothing written */
    X_REFUSED(db[0], 1, "code 'KT-99' is not in form " FORM, "--db", db[0], "report", "bind",
              "ind/4", "KT-99");
    X_OK("--db", db[0], "report", "submit");
    xu_sync_pc(db[0]);

    /* Bình: an extra row after row 6, the rows after it renumbered; rows 4 and
     * 5 swapped; winter crops in m²; "3a" enterprises */
    text = xu_seed();
    {
        char from[8], to[8];
        for (int tt = 23; tt >= 7; tt--) {
            snprintf(from, sizeof(from), "%d", tt);
            snprintf(to, sizeof(to), "%d", tt + 1);
            text = xu_row_set(text, from, 0, to);
        }
    }
    text = xu_row_insert_after(text, "6", "7\tSản lượng ngô\ttấn\t10\t20\t15\t\t\t\t");
    text = xu_row_swap(text, "4", "5");
    text = xu_row_set(text, "4", 5, "500");
    text = xu_row_set(text, "6", 2, "m²");
    text = xu_row_set(text, "6", 3, "350.000");
    text = xu_row_set(text, "6", 4, "350.000");
    text = xu_row_set(text, "6", 5, "35.000");
    text = xu_row_set(text, "16", 5, "90"); /* BHYT, was row 15 */
    p = xu_write_report(f, "binh.txt", text);
    free(text);
    X_OK("--db", db[1], "report", "import", p, "--form", FORM);
    free(p);
    {
        char *ent = xu_row_entity(db[1], "report-2024-h1", "11"); /* enterprises, was row 10 */
        X_OK("--db", db[1], "set", ent, "est", "3a");
        free(ent);
    }
    /* the extra row is listed by check: bound to nothing */
    {
        xt_run r = xt_xasync(ARGV("--db", db[1], "report", "check"), NULL, NULL);
        assert_int_equal(r.status, 1);
        if (strstr(r.out, "[bind.unbound]") == NULL || strstr(r.out, "Sản lượng ngô") == NULL)
            fail_msg("check does not list the unbound row: %s", r.out);
        xt_run_free(&r);
    }
    X_OK("--db", db[1], "report", "submit");
    xu_sync_pc(db[1]);

    /* Cường: grain in tạ; enterprises in hộ; BHYT 80; then an NBSP in the
     * revenue figure, written as an older PC would */
    text = xu_seed();
    text = xu_row_set(text, "4", 2, "tạ");
    text = xu_row_set(text, "4", 3, "5.730");
    text = xu_row_set(text, "4", 4, "14.600");
    text = xu_row_set(text, "4", 5, "4.000");
    text = xu_row_set(text, "10", 2, "hộ");
    text = xu_row_set(text, "15", 5, "80");
    p = xu_write_report(f, "cuong.txt", text);
    free(text);
    X_OK("--db", db[2], "report", "import", p, "--form", FORM);
    free(p);
    {
        char *ent = xu_row_entity(db[2], "report-2024-h1", "8");
        X_OK("--db", db[2], "set", ent, "est", "36" NBSP "054");
        free(ent);
    }
    X_OK("--db", db[2], "report", "submit");
    xu_sync_pc(db[2]);

    /* Đông: two PCs change the winter-crop area apart; sent in conflict */
    text = xu_seed();
    text = xu_row_set(text, "4", 5, "300");
    text = xu_row_set(text, "15", 5, "95");
    p = xu_write_report(f, "dong.txt", text);
    free(text);
    X_OK("--db", db[3], "report", "import", p, "--form", FORM);
    free(p);
    xu_sync_pc(db[3]);
    xu_sync_pc(d2);
    X_OK("--db", db[3], "report", "edit", "ind/6/est", "40");
    X_OK("--db", d2, "report", "edit", "ind/6/est", "45");
    xu_sync_pc(db[3]);
    xu_sync_pc(d2);
    xu_sync_pc(db[3]);
    X_OK("--db", db[3], "report", "submit");
    xu_sync_pc(db[3]);

    /* Én: a wrong figure sent, then the corrected report sent under an id
     * that sorts first */
    text = xu_seed();
    text = xu_row_set(text, "4", 5, "999");
    text = xu_row_set(text, "15", 5, "100");
    p = xu_write_report(f, "en-wrong.txt", text);
    X_OK("--db", db[4], "report", "import", p, "--form", FORM, "--id", "z-first");
    free(p);
    X_OK("--db", db[4], "report", "submit", "z-first");
    xu_sync_pc(db[4]);
    text = xu_row_set(text, "4", 5, "250");
    p = xu_write_report(f, "en-fixed.txt", text);
    free(text);
    X_OK("--db", db[4], "report", "import", p, "--form", FORM, "--id", "a-corrected");
    free(p);
    X_OK("--db", db[4], "report", "submit", "a-corrected");
    xu_sync_pc(db[4]);

    /* Phú: a draft, never sent */
    text = xu_seed();
    text = xu_row_set(text, "4", 5, "100");
    p = xu_write_report(f, "phu.txt", text);
    free(text);
    X_OK("--db", db[5], "report", "import", p, "--form", FORM);
    free(p);
    xu_sync_pc(db[5]);
    /* the district cannot accept or return what was never sent */
    D_REFUSED(f->ddb, 1, "never sent", "--db", f->ddb, "accept", "xa-phu", "report-2024-h1");
    D_REFUSED(f->ddb, 1, "never sent", "--db", f->ddb, "return", "xa-phu", "report-2024-h1",
              "--reason", "thiếu số liệu");

    /* the district accepts An's report; An then edits it: a new draft, while
     * the district keeps counting the version sent */
    D_OK("--db", f->ddb, "accept", "xa-an", "report-2024-h1");
    xu_sync_pc(db[0]);
    out = X_OUT("--db", db[0], "report", "state");
    assert_non_null(strstr(out, "accepted"));
    free(out);
    X_OK("--db", db[0], "report", "edit", "ind/4/est", "700");
    out = X_OUT("--db", db[0], "report", "state");
    assert_non_null(strstr(out, "edited since sent"));
    free(out);
    xu_sync_pc(db[0]);

    /* ---- the rollup, against totals computed here ---- */
    out =
        D_OUT("--db", f->ddb, "rollup", "--form", FORM, "--period", "2024-h1", "--format", "json");
    cJSON *doc = cJSON_Parse(out);
    free(out);
    assert_non_null(doc);
    char v[64], t[64];
    /* grain, tấn: An 636,4 (as sent, not 700) + Bình 500 + Cường 4.000 tạ +
     * Đông 300 + Én 250 (the corrected one, not 999); Phú's draft left out */
    long long grain[] = {6364, 5000, 40000 / 10, 3000, 2500};
    long long sum = 0;
    for (size_t i = 0; i < 5; i++)
        sum += grain[i];
    xu_tenths(sum, v, t);
    DISTRICT_IS(doc, "CT-04", "est", v, t, 5);
    assert_string_equal(cJSON_GetObjectItem(xu_indicator(doc, "CT-04"), "counted")->valuestring,
                        "5 / 7 xã");
    /* so với cùng kỳ for the district: Σest / Σprev × 100 (prev 573 each) */
    {
        long long prev = 5 * 5730;                          /* tenths */
        long long r100 = (sum * 1000 * 10 / prev + 5) / 10; /* tenths of a percent */
        xu_tenths(r100, v, t);
        DISTRICT_IS(doc, "CT-04", "vs_prev", v, t, -1);
    }
    /* winter crops, ha: An 35 + Bình 35.000 m² + Cường 35 + Én 35; Đông in
     * conflict, with both values named */
    xu_tenths(350 + 35 + 350 + 350, v, t);
    DISTRICT_IS(doc, "CT-06", "est", v, t, 4);
    const cJSON *e = xu_excluded(doc, "CT-06", "xa-dong", "conflict");
    assert_non_null(e);
    assert_non_null(strstr(cJSON_GetObjectItem(e, "en")->valuestring, "40"));
    assert_non_null(strstr(cJSON_GetObjectItem(e, "en")->valuestring, "45"));
    /* revenue, Trđ: 36.054 five times, Cường's with an NBSP */
    xu_tenths(5 * 360540, v, t);
    DISTRICT_IS(doc, "CT-08", "est", v, t, 5);
    /* Chi ngân sách, money in the form, is written in % by every commune
     * (the seed's slip): nothing is added, each commune named */
    assert_true(cJSON_IsNull(
        cJSON_GetObjectItem(cJSON_GetObjectItem(xu_indicator(doc, "CT-09"), "district"), "est")));
    for (size_t i = 0; i < 5; i++)
        if (xu_excluded(doc, "CT-09", C[i].scope, "unit") == NULL)
            fail_msg("CT-09 of %s is not named as left out for its unit", C[i].scope);
    /* enterprises: An 3 + Đông 3 + Én 3; Bình's "3a" and Cường's hộ named */
    DISTRICT_IS(doc, "CT-10", "est", "9", "9", 3);
    assert_non_null(xu_excluded(doc, "CT-10", "xa-binh", "nan"));
    assert_non_null(xu_excluded(doc, "CT-10", "xa-cuong", "unit"));
    /* BHYT, a mean over communes: (96,4 + 90 + 80 + 95 + 100) / 5 = 92,28 */
    DISTRICT_IS(doc, "CT-15", "est", "92.28", "92,28", 5);
    /* Bình's extra row is named, bound to nothing */
    {
        const cJSON *u;
        int seen = 0;
        cJSON_ArrayForEach(u, cJSON_GetObjectItem(doc, "unbound")) seen |=
            strcmp(cJSON_GetObjectItem(u, "scope")->valuestring, "xa-binh") == 0 &&
            strcmp(cJSON_GetObjectItem(u, "row")->valuestring, "Sản lượng ngô") == 0;
        assert_true(seen);
    }
    /* not sent: Giang (never synced) and Phú's draft apart */
    {
        const cJSON *u;
        int giang = 0, phu_not = 0, phu_draft = 0;
        cJSON_ArrayForEach(u, cJSON_GetObjectItem(doc, "not_sent"))
        {
            giang |= strcmp(cJSON_GetObjectItem(u, "name")->valuestring, "Xã Giang") == 0 &&
                     strcmp(cJSON_GetObjectItem(u, "last_sync")->valuestring, "never") == 0;
            phu_not |= strcmp(cJSON_GetObjectItem(u, "scope")->valuestring, "xa-phu") == 0;
        }
        cJSON_ArrayForEach(u, cJSON_GetObjectItem(doc, "drafts")) phu_draft |=
            strcmp(cJSON_GetObjectItem(u, "name")->valuestring, "Xã Phú") == 0;
        assert_true(giang);
        assert_false(phu_not);
        assert_true(phu_draft);
    }
    cJSON_Delete(doc);

    /* with --include-drafts, Phú's 100 tấn is counted too */
    out = D_OUT("--db", f->ddb, "rollup", "--form", FORM, "--period", "2024-h1", "--format", "json",
                "--include-drafts");
    doc = cJSON_Parse(out);
    free(out);
    xu_tenths(sum + 1000, v, t);
    DISTRICT_IS(doc, "CT-04", "est", v, t, 6);
    cJSON_Delete(doc);

    /* the text form names the communes left out, and why */
    out = D_OUT("--db", f->ddb, "rollup", "--form", FORM, "--period", "2024-h1");
    if (strstr(out, "Xã Giang (xa-giang)") == NULL || strstr(out, "Xã Đông") == NULL ||
        strstr(out, "'3a' is not a number") == NULL || strstr(out, "5 / 7 xã") == NULL)
        fail_msg("the text rollup does not name what it leaves out:\n%s", out);
    free(out);
    /* by commune, as CSV and HTML */
    out = D_OUT("--db", f->ddb, "rollup", "--form", FORM, "--period", "2024-h1", "--format", "csv",
                "--by-commune");
    assert_non_null(strstr(out, "\"Xã Cường\""));
    assert_non_null(
        strstr(out, "\"CT-04\",\"Tổng sản lượng lương thực có hạt\",\"tấn\",\"636,4\""));
    free(out);
    out =
        D_OUT("--db", f->ddb, "rollup", "--form", FORM, "--period", "2024-h1", "--format", "html");
    assert_non_null(strstr(out, "<table>"));
    assert_null(strstr(out, "http"));
    free(out);

    /* the district's check of a commune's copy names the unbound row */
    {
        xt_run r = xt_district(ARGV("--db", f->ddb, "check", "xa-binh"), NULL, NULL);
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.out, "[bind.unbound]"));
        xt_run_free(&r);
    }

    /* the return reaches the clerk with the next sync */
    D_OK("--db", f->ddb, "return", "xa-binh", "report-2024-h1", "--reason", "Sửa dòng 11");
    xu_sync_pc(db[1]);
    out = X_OUT("--db", db[1], "report", "state");
    assert_non_null(strstr(out, "returned"));
    assert_non_null(strstr(out, "Sửa dòng 11"));
    free(out);

    /* a binding by hand syncs: Bình binds its extra row to grain by mistake,
     * then unbinds it */
    X_OK("--db", db[1], "report", "bind", "ind/7", "CT-04");
    out = X_OUT("--db", db[1], "report", "export", "--format", "json");
    assert_non_null(strstr(out, "\"code\":\"CT-04\",\"bound_by\":\"manual\""));
    /* figures carry an exact decimal next to their text */
    assert_non_null(strstr(out, "\"est\":\"35.000\""));
    assert_non_null(strstr(out, "\"est_value\":\"35000\""));
    free(out);

    /* a report started from the form: its rows, bound, empty figures */
    X_OK("--db", db[6], "sync");
    X_REFUSED(db[6], 1, "valid: 2024-h1", "--db", db[6], "report", "new", "--form", FORM,
              "--period", "2024-6");
    X_OK("--db", db[6], "report", "new", "--form", FORM, "--period", "2024-h1");
    out = X_OUT("--db", db[6], "report", "export", "--format", "json");
    assert_non_null(strstr(out, "\"code\":\"CT-23\",\"bound_by\":\"name\""));
    assert_non_null(strstr(out, "\"name\":\"Tổng sản lượng lương thực có hạt\""));
    /* a year-end indicator says so in a half-year report */
    assert_non_null(strstr(out, "\"note\":\"Đánh giá vào cuối năm\""));
    free(out);
    /* an import with a period outside the form's vocabulary: nothing written */
    X_REFUSED(db[6], 1, "valid: 2024-h1", "--db", db[6], "report", "import", XA_SEED_REPORT,
              "--form", FORM, "--period", "2024-x9", "--id", "other");
    /* without a form, kind and period are still checked */
    X_REFUSED(db[6], 1, "period '2024-x9' is not valid", "--db", db[6], "report", "import",
              XA_SEED_REPORT, "--period", "2024-x9", "--id", "other");
    X_REFUSED(db[6], 1, "unknown kind 'Sơ kết'", "--db", db[6], "report", "import", XA_SEED_REPORT,
              "--kind", "Sơ kết", "--id", "other");

    for (size_t i = 0; i < NC; i++)
        free(db[i]);
    free(d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rollup__seven_communes, xu_setup, xu_teardown),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
