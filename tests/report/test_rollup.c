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
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <signal.h>
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
#define FORM "sk6-2024"
#define NBSP "\xc2\xa0"

typedef struct fx {
    char *dir, *ddb;
    xt_server srv;
} fx;

static const struct commune {
    const char *scope, *name;
} C[] = {
    {"xa-an", "Xã An"}, {"xa-binh", "Xã Bình"}, {"xa-cuong", "Xã Cường"}, {"xa-dong", "Xã Đông"},
    {"xa-en", "Xã Én"}, {"xa-phu", "Xã Phú"},   {"xa-giang", "Xã Giang"},
};
#define NC (sizeof(C) / sizeof(C[0]))

static char *pc(const fx *f, const char *name)
{
    char n[64];

    snprintf(n, sizeof(n), "%s.db", name);
    return xt_path(f->dir, n);
}

/* ---- running the programs ------------------------------------------------ */

static char *ok_at(xt_run r, const char *what, int line)
{
    if (r.status != 0)
        fail_msg("line %d: %s exited %d: %s", line, what, r.status, r.err);
    free(r.err);
    return r.out;
}

#define X_OK(...) free(ok_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__))
#define X_OUT(...) ok_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__)
#define D_OK(...) free(ok_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__))
#define D_OUT(...) ok_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__)

/* A refusal: exit `code`, `needle` in the one-line message, `db` unchanged. */
static void
refused_at(xt_run r, const char *db, uint64_t before, int code, const char *needle, int line)
{
    if (r.status != code)
        fail_msg("line %d: exit %d, wanted %d (stderr: %s)", line, r.status, code, r.err);
    if (strstr(r.err, needle) == NULL)
        fail_msg("line %d: the message does not say '%s': %s", line, needle, r.err);
    if (strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
        fail_msg("line %d: the message is not one line: %s", line, r.err);
    if (xt_db_digest(db) != before)
        fail_msg("line %d: the database changed", line);
    xt_run_free(&r);
}

#define X_REFUSED(db, code, needle, ...)                                                           \
    do {                                                                                           \
        uint64_t before_ = xt_db_digest(db);                                                       \
        refused_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), (db), before_, (code), (needle),      \
                   __LINE__);                                                                      \
    } while (0)
#define D_REFUSED(db, code, needle, ...)                                                           \
    do {                                                                                           \
        uint64_t before_ = xt_db_digest(db);                                                       \
        refused_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), (db), before_, (code), (needle),    \
                   __LINE__);                                                                      \
    } while (0)

static void sync_pc(const char *db)
{
    X_OK("--db", db, "sync");
}

/* ---- editing the seed's table ------------------------------------------------ */

/* The start of the table line whose first cell is `tt`. */
static char *row_start(char *text, const char *tt)
{
    size_t n = strlen(tt);

    for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, tt, n) == 0 && p[n] == '\t')
            return p;
    fail_msg("the seed has no row %s", tt);
    return NULL;
}

/* text with cell `col` (0 = TT) of row `tt` replaced by `val` (frees text). */
static char *row_set(char *text, const char *tt, int col, const char *val)
{
    char *p = row_start(text, tt), *s = p, *e;
    size_t head, tail;
    char *out;

    for (int k = 0; k < col; k++)
        s = strchr(s, '\t') + 1;
    e = s + strcspn(s, "\t\n");
    head = (size_t)(s - text);
    tail = strlen(e);
    out = malloc(head + strlen(val) + tail + 1);
    memcpy(out, text, head);
    memcpy(out + head, val, strlen(val));
    memcpy(out + head + strlen(val), e, tail + 1);
    free(text);
    return out;
}

/* text with `line` (no newline) put after row `tt` (frees text). */
static char *row_insert_after(char *text, const char *tt, const char *line)
{
    char *p = row_start(text, tt);
    char *nl = strchr(p, '\n') + 1;
    size_t head = (size_t)(nl - text), ln = strlen(line);
    char *out = malloc(strlen(text) + ln + 2);

    memcpy(out, text, head);
    memcpy(out + head, line, ln);
    out[head + ln] = '\n';
    strcpy(out + head + ln + 1, nl);
    free(text);
    return out;
}

/* text with the lines of rows a and b (a before b, adjacent) swapped. */
static char *row_swap(char *text, const char *a, const char *b)
{
    char *pa = row_start(text, a), *pb = row_start(text, b);
    char *ea = strchr(pa, '\n') + 1, *eb = strchr(pb, '\n') + 1;
    size_t la = (size_t)(ea - pa), lb = (size_t)(eb - pb);
    char *out = malloc(strlen(text) + 1);
    size_t h = (size_t)(pa - text);

    assert_ptr_equal(ea, pb);
    memcpy(out, text, h);
    memcpy(out + h, pb, lb);
    memcpy(out + h + lb, pa, la);
    strcpy(out + h + lb + la, eb);
    free(text);
    return out;
}

static char *seed(void)
{
    char *s = xt_read_file(XA_SEED_REPORT, NULL);

    assert_non_null(s);
    return s;
}

static char *write_report(const fx *f, const char *name, const char *text)
{
    char *p = xt_path(f->dir, name);

    xt_write_file(p, text, strlen(text));
    return p;
}

/* The entity of row `tt` of a PC's report (from its JSON export). */
static char *row_entity(const char *db, const char *report, const char *tt)
{
    char *out = X_OUT("--db", db, "report", "export", "--format", "json", "--report", report);
    cJSON *doc = cJSON_Parse(out), *b;
    char *ent = NULL;

    assert_non_null(doc);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(doc, "blocks"))
    {
        if (strcmp(cJSON_GetObjectItem(b, "kind")->valuestring, "row") == 0 &&
            strcmp(cJSON_GetObjectItem(b, "tt")->valuestring, tt) == 0 &&
            !cJSON_IsTrue(cJSON_GetObjectItem(b, "deleted")))
            ent = strdup(cJSON_GetObjectItem(b, "entity")->valuestring);
    }
    cJSON_Delete(doc);
    free(out);
    if (ent == NULL)
        fail_msg("no row %s in %s", tt, report);
    return ent;
}

/* ---- fixture --------------------------------------------------------------- */

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    f->dir = xt_tempdir();
    f->ddb = xt_path(f->dir, "district.db");
    D_OK("--db", f->ddb, "init");
    for (size_t i = 0; i < NC; i++) {
        char tn[96];
        char *tok = D_OUT("--db", f->ddb, "commune", "add", C[i].scope, "--name", C[i].name);
        snprintf(tn, sizeof(tn), "%s.token", C[i].scope);
        char *p = xt_path(f->dir, tn);
        xt_write_file(p, tok, strlen(tok));
        free(p);
        free(tok);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f->srv.pid)
        xt_server_stop(&f->srv, SIGTERM);
    free(f->srv.log);
    free(f->ddb);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* The seed made into the district's form, then edited as the district
 * decides: row 9 (Chi ngân sách) is money added up, not a %; grain may come
 * in tạ or kg; winter crops in m². */
static void make_form(fx *f)
{
    D_OK("--db", f->ddb, "form", "add", "--from-report", XA_SEED_REPORT, "--id", FORM);
    char *js = D_OUT("--db", f->ddb, "form", "show", FORM, "--json");
    cJSON *doc = cJSON_Parse(js), *d;
    free(js);
    assert_non_null(doc);
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(doc, "indicators"))
    {
        const char *code = cJSON_GetObjectItem(d, "code")->valuestring;
        if (strcmp(code, "CT-09") == 0) {
            cJSON_ReplaceItemInObject(d, "unit", cJSON_CreateString("Trđ"));
            cJSON_ReplaceItemInObject(d, "aggregation", cJSON_CreateString("sum"));
        }
        if (strcmp(code, "CT-04") == 0) {
            cJSON *al = cJSON_GetObjectItem(d, "also_units");
            cJSON_AddItemToArray(al, cJSON_CreateString("tạ"));
            cJSON_AddItemToArray(al, cJSON_CreateString("kg"));
        }
        if (strcmp(code, "CT-06") == 0)
            cJSON_AddItemToArray(cJSON_GetObjectItem(d, "also_units"), cJSON_CreateString("m²"));
    }
    char *edited = cJSON_Print(doc);
    cJSON_Delete(doc);
    char *p = write_report(f, "form.json", edited);
    free(edited);
    D_OK("--db", f->ddb, "form", "add", p);
    free(p);
}

/* ---- the rollup document --------------------------------------------------------- */

static const cJSON *indicator(const cJSON *doc, const char *code)
{
    const cJSON *d;

    cJSON_ArrayForEach(
        d, cJSON_GetObjectItem(
               doc, "indicators")) if (strcmp(cJSON_GetObjectItem(d, "code")->valuestring, code) ==
                                       0) return d;
    fail_msg("no indicator %s in the rollup", code);
    return NULL;
}

static void district_is(const cJSON *doc,
                        const char *code,
                        const char *col,
                        const char *value,
                        const char *text,
                        int n,
                        int line)
{
    const cJSON *d = indicator(doc, code);
    const cJSON *fig = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "district"), col);

    if (!cJSON_IsObject(fig))
        fail_msg("line %d: %s %s has no district figure", line, code, col);
    if (strcmp(cJSON_GetObjectItem(fig, "value")->valuestring, value) != 0 ||
        strcmp(cJSON_GetObjectItem(fig, "text")->valuestring, text) != 0)
        fail_msg("line %d: %s %s is %s (%s), wanted %s (%s)", line, code, col,
                 cJSON_GetObjectItem(fig, "value")->valuestring,
                 cJSON_GetObjectItem(fig, "text")->valuestring, value, text);
    if (n >= 0 && cJSON_GetObjectItem(fig, "n") && cJSON_GetObjectItem(fig, "n")->valueint != n)
        fail_msg("line %d: %s %s counts %d communes, wanted %d", line, code, col,
                 cJSON_GetObjectItem(fig, "n")->valueint, n);
}
#define DISTRICT_IS(doc, code, col, value, text, n)                                                \
    district_is((doc), (code), (col), (value), (text), (n), __LINE__)

/* The exclusion of `scope`'s figure of `code` for `reason` (NULL if none). */
static const cJSON *
excluded(const cJSON *doc, const char *code, const char *scope, const char *reason)
{
    const cJSON *e;

    cJSON_ArrayForEach(
        e, cJSON_GetObjectItem(
               indicator(doc, code),
               "excluded")) if (strcmp(cJSON_GetObjectItem(e, "scope")->valuestring, scope) == 0 &&
                                strcmp(cJSON_GetObjectItem(e, "reason")->valuestring, reason) ==
                                    0) return e;
    return NULL;
}

/* Exact tenths, as the test adds them itself. */
static void tenths(long long t, char *value, char *text)
{
    long long w = t / 10, d = t % 10;
    char digits[32], grouped[48];
    size_t n, o = 0;

    snprintf(digits, sizeof(digits), "%lld", w);
    n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            grouped[o++] = '.';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    if (d) {
        sprintf(value, "%lld.%lld", w, d);
        sprintf(text, "%s,%lld", grouped, d);
    } else {
        sprintf(value, "%lld", w);
        sprintf(text, "%s", grouped);
    }
}

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
    fx *f = *state;
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
        char *p = write_report(f, bad[i].name, bad[i].json);
        D_REFUSED(f->ddb, 1, bad[i].needle, "--db", f->ddb, "form", "add", p);
        free(p);
    }
    /* a new kind is taken when the district says so */
    char *p = write_report(f, "kind.json", bad[6].json);
    D_OK("--db", f->ddb, "form", "add", p, "--new-kind");
    free(p);
    char *list = D_OUT("--db", f->ddb, "form", "list");
    assert_non_null(strstr(list, "f1\tbao-cao-tuan\tmonth"));
    free(list);
    /* accept / return of a report that does not exist */
    D_REFUSED(f->ddb, 1, "holds no report", "--db", f->ddb, "accept", "xa-an", "report-2024-h1");
    D_REFUSED(f->ddb, 2, "--reason", "--db", f->ddb, "return", "xa-an", "report-2024-h1");
    /* a rollup for a period outside the form's period type */
    make_form(f);
    D_REFUSED(f->ddb, 1, "valid: 2024-h1", "--db", f->ddb, "rollup", "--form", FORM, "--period",
              "2024-q3");
}

static void test_rollup__seven_communes(void **state)
{
    fx *f = *state;
    char *db[NC + 1], *d2, *text, *p, *out;

    make_form(f);
    xt_server_start(&f->srv, f->ddb, NULL);
    for (size_t i = 0; i < NC; i++) {
        db[i] = pc(f, C[i].scope);
        xt_pc_setup(f->dir, db[i], C[i].scope, f->srv.port);
    }
    d2 = pc(f, "xa-dong-2");
    xt_pc_setup(f->dir, d2, "xa-dong", f->srv.port);
    for (size_t i = 0; i + 1 < NC; i++)
        sync_pc(db[i]); /* the form reaches every PC that syncs */
    sync_pc(d2);

    /* forms are read-only on a PC */
    X_REFUSED(db[0], 1, "read-only", "--db", db[0], "set", "form/" FORM, "json", "{}");

    /* An: the seed, sent */
    X_OK("--db", db[0], "report", "import", XA_SEED_REPORT, "--form", FORM);
    /* a bind to a code not in the form is refused, nothing written */
    X_REFUSED(db[0], 1, "code 'KT-99' is not in form " FORM, "--db", db[0], "report", "bind",
              "ind/4", "KT-99");
    X_OK("--db", db[0], "report", "submit");
    sync_pc(db[0]);

    /* Bình: an extra row after row 6, the rows after it renumbered; rows 4 and
     * 5 swapped; winter crops in m²; "3a" enterprises */
    text = seed();
    {
        char from[8], to[8];
        for (int tt = 23; tt >= 7; tt--) {
            snprintf(from, sizeof(from), "%d", tt);
            snprintf(to, sizeof(to), "%d", tt + 1);
            text = row_set(text, from, 0, to);
        }
    }
    text = row_insert_after(text, "6", "7\tSản lượng ngô\ttấn\t10\t20\t15\t\t\t\t");
    text = row_swap(text, "4", "5");
    text = row_set(text, "4", 5, "500");
    text = row_set(text, "6", 2, "m²");
    text = row_set(text, "6", 3, "350.000");
    text = row_set(text, "6", 4, "350.000");
    text = row_set(text, "6", 5, "35.000");
    text = row_set(text, "16", 5, "90"); /* BHYT, was row 15 */
    p = write_report(f, "binh.txt", text);
    free(text);
    X_OK("--db", db[1], "report", "import", p, "--form", FORM);
    free(p);
    {
        char *ent = row_entity(db[1], "report-2024-h1", "11"); /* enterprises, was row 10 */
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
    sync_pc(db[1]);

    /* Cường: grain in tạ; enterprises in hộ; BHYT 80; then an NBSP in the
     * revenue figure, written as an older PC would */
    text = seed();
    text = row_set(text, "4", 2, "tạ");
    text = row_set(text, "4", 3, "5.730");
    text = row_set(text, "4", 4, "14.600");
    text = row_set(text, "4", 5, "4.000");
    text = row_set(text, "10", 2, "hộ");
    text = row_set(text, "15", 5, "80");
    p = write_report(f, "cuong.txt", text);
    free(text);
    X_OK("--db", db[2], "report", "import", p, "--form", FORM);
    free(p);
    {
        char *ent = row_entity(db[2], "report-2024-h1", "8");
        X_OK("--db", db[2], "set", ent, "est", "36" NBSP "054");
        free(ent);
    }
    X_OK("--db", db[2], "report", "submit");
    sync_pc(db[2]);

    /* Đông: two PCs change the winter-crop area apart; sent in conflict */
    text = seed();
    text = row_set(text, "4", 5, "300");
    text = row_set(text, "15", 5, "95");
    p = write_report(f, "dong.txt", text);
    free(text);
    X_OK("--db", db[3], "report", "import", p, "--form", FORM);
    free(p);
    sync_pc(db[3]);
    sync_pc(d2);
    X_OK("--db", db[3], "report", "edit", "ind/6/est", "40");
    X_OK("--db", d2, "report", "edit", "ind/6/est", "45");
    sync_pc(db[3]);
    sync_pc(d2);
    sync_pc(db[3]);
    X_OK("--db", db[3], "report", "submit");
    sync_pc(db[3]);

    /* Én: a wrong figure sent, then the corrected report sent under an id
     * that sorts first */
    text = seed();
    text = row_set(text, "4", 5, "999");
    text = row_set(text, "15", 5, "100");
    p = write_report(f, "en-wrong.txt", text);
    X_OK("--db", db[4], "report", "import", p, "--form", FORM, "--id", "z-first");
    free(p);
    X_OK("--db", db[4], "report", "submit", "z-first");
    sync_pc(db[4]);
    text = row_set(text, "4", 5, "250");
    p = write_report(f, "en-fixed.txt", text);
    free(text);
    X_OK("--db", db[4], "report", "import", p, "--form", FORM, "--id", "a-corrected");
    free(p);
    X_OK("--db", db[4], "report", "submit", "a-corrected");
    sync_pc(db[4]);

    /* Phú: a draft, never sent */
    text = seed();
    text = row_set(text, "4", 5, "100");
    p = write_report(f, "phu.txt", text);
    free(text);
    X_OK("--db", db[5], "report", "import", p, "--form", FORM);
    free(p);
    sync_pc(db[5]);
    /* the district cannot accept or return what was never sent */
    D_REFUSED(f->ddb, 1, "never sent", "--db", f->ddb, "accept", "xa-phu", "report-2024-h1");
    D_REFUSED(f->ddb, 1, "never sent", "--db", f->ddb, "return", "xa-phu", "report-2024-h1",
              "--reason", "thiếu số liệu");

    /* the district accepts An's report; An then edits it: a new draft, while
     * the district keeps counting the version sent */
    D_OK("--db", f->ddb, "accept", "xa-an", "report-2024-h1");
    sync_pc(db[0]);
    out = X_OUT("--db", db[0], "report", "state");
    assert_non_null(strstr(out, "accepted"));
    free(out);
    X_OK("--db", db[0], "report", "edit", "ind/4/est", "700");
    out = X_OUT("--db", db[0], "report", "state");
    assert_non_null(strstr(out, "edited since sent"));
    free(out);
    sync_pc(db[0]);

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
    tenths(sum, v, t);
    DISTRICT_IS(doc, "CT-04", "est", v, t, 5);
    assert_string_equal(cJSON_GetObjectItem(indicator(doc, "CT-04"), "counted")->valuestring,
                        "5 / 7 xã");
    /* so với cùng kỳ for the district: Σest / Σprev × 100 (prev 573 each) */
    {
        long long prev = 5 * 5730;                          /* tenths */
        long long r100 = (sum * 1000 * 10 / prev + 5) / 10; /* tenths of a percent */
        tenths(r100, v, t);
        DISTRICT_IS(doc, "CT-04", "vs_prev", v, t, -1);
    }
    /* winter crops, ha: An 35 + Bình 35.000 m² + Cường 35 + Én 35; Đông in
     * conflict, with both values named */
    tenths(350 + 35 + 350 + 350, v, t);
    DISTRICT_IS(doc, "CT-06", "est", v, t, 4);
    const cJSON *e = excluded(doc, "CT-06", "xa-dong", "conflict");
    assert_non_null(e);
    assert_non_null(strstr(cJSON_GetObjectItem(e, "en")->valuestring, "40"));
    assert_non_null(strstr(cJSON_GetObjectItem(e, "en")->valuestring, "45"));
    /* revenue, Trđ: 36.054 five times, Cường's with an NBSP */
    tenths(5 * 360540, v, t);
    DISTRICT_IS(doc, "CT-08", "est", v, t, 5);
    /* Chi ngân sách, money in the form, is written in % by every commune
     * (the seed's slip): nothing is added, each commune named */
    assert_true(cJSON_IsNull(
        cJSON_GetObjectItem(cJSON_GetObjectItem(indicator(doc, "CT-09"), "district"), "est")));
    for (size_t i = 0; i < 5; i++)
        if (excluded(doc, "CT-09", C[i].scope, "unit") == NULL)
            fail_msg("CT-09 of %s is not named as left out for its unit", C[i].scope);
    /* enterprises: An 3 + Đông 3 + Én 3; Bình's "3a" and Cường's hộ named */
    DISTRICT_IS(doc, "CT-10", "est", "9", "9", 3);
    assert_non_null(excluded(doc, "CT-10", "xa-binh", "nan"));
    assert_non_null(excluded(doc, "CT-10", "xa-cuong", "unit"));
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
    tenths(sum + 1000, v, t);
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
    sync_pc(db[1]);
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

/* Forms reach a PC by USB from another PC of its commune; that PC then
 * syncs.  The district's own ops come back to it from two communes: they
 * belong to neither (once refused as "belongs to another commune"); an op
 * in the district's name that it never wrote is refused. */
static void test_rollup__forms_by_usb(void **state)
{
    fx *f = *state;
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
        char *a = pc(f, n1), *b = pc(f, n2), *ops = xt_path(f->dir, "ops.json");
        xt_pc_setup(f->dir, a, sc[i], f->srv.port);
        xt_pc_setup(f->dir, b, sc[i], f->srv.port);
        sync_pc(a);
        out = X_OUT("--db", a, "export-ops", "--all");
        xt_write_file(ops, out, strlen(out));
        free(out);
        X_OK("--db", b, "apply", ops);
        out = X_OUT("--db", b, "show", "form/" FORM);
        assert_non_null(strstr(out, "xasync-form"));
        free(out);
        sync_pc(b); /* sends the district's op back: harmless */
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
        cmocka_unit_test_setup_teardown(test_rollup__bad_forms_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup__seven_communes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup__forms_by_usb, setup, teardown),
    };
    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
