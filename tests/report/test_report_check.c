/*
 * `xasync report check`, one check at a time: the seed report with one
 * deliberate error each, imported into a real database by the real
 * program, must be flagged where the error is and nowhere new.
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

typedef struct fx {
    char *dir, *db, *file;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    const char *init[] = {"--db", NULL, "init", "--scope", "hoang-kim", NULL};
    xt_run r;

    assert_non_null(f);
    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "pc.db");
    f->file = xt_path(f->dir, "report.txt");
    init[1] = f->db;
    r = xt_xasync(init, NULL, NULL);
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

/* The seed with `from` replaced by `to` (which must occur once). */
static char *seed_with(const char *from, const char *to)
{
    size_t len = 0, fl = strlen(from), tl = strlen(to);
    char *seed = xt_read_file(XA_SEED_REPORT, &len), *at, *out;

    assert_non_null(seed);
    at = strstr(seed, from);
    if (at == NULL)
        fail_msg("the seed has no '%s'", from);
    assert_null(strstr(at + fl, from));
    out = malloc(len - fl + tl + 1);
    assert_non_null(out);
    memcpy(out, seed, (size_t)(at - seed));
    memcpy(out + (at - seed), to, tl);
    memcpy(out + (at - seed) + tl, at + fl, len - (size_t)(at - seed) - fl + 1);
    free(seed);
    return out;
}

/* Import `text` and run check --json; returns the findings array. */
static cJSON *check(fx *f, const char *text)
{
    const char *imp[] = {"--db", f->db, "report", "import", f->file, NULL};
    const char *chk[] = {"--db", f->db, "report", "check", "--json", NULL};
    xt_run r;
    cJSON *a;

    xt_write_file(f->file, text, strlen(text));
    r = xt_xasync(imp, NULL, NULL);
    if (r.status != 0)
        fail_msg("import: %s", r.err);
    xt_run_free(&r);
    r = xt_xasync(chk, NULL, NULL);
    assert_int_equal(r.status, 1);
    a = cJSON_Parse(r.out);
    assert_true(cJSON_IsArray(a));
    xt_run_free(&r);
    return a;
}

/* Is finding `e` at `where` (or inside it), saying `word` in English? */
static int is_at(const cJSON *e, const char *where, const char *word)
{
    const cJSON *w = cJSON_GetObjectItem(e, "where"), *en = cJSON_GetObjectItem(e, "en"),
                *vi = cJSON_GetObjectItem(e, "vi");
    size_t n = strlen(where);

    assert_true(cJSON_IsString(w) && cJSON_IsString(en) && cJSON_IsString(vi));
    assert_true(strlen(vi->valuestring) > 0);
    /* "ind/1" is row 1 (or one of its cells), not row 12; "b/" any block */
    int at = strncmp(w->valuestring, where, n) == 0 &&
             (where[n - 1] == '/' || w->valuestring[n] == '\0' || w->valuestring[n] == '/');
    return at && strstr(en->valuestring, word) != NULL;
}

/* Does some finding at `where` (or inside it) say `word` in English? */
static int has(const cJSON *a, const char *where, const char *word)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, a)
    {
        if (is_at(e, where, word))
            return 1;
    }
    return 0;
}

/* The seed's own findings (README, "Check"): where, and a phrase of each. */
static const char *const SEED_FINDINGS[][2] = {
    {"ind/4", "rounded from 823,6"},
    {"ind/5", "recomputed 56,7"},
    {"ind/9", "wrong unit"},
    {"ind/12", "last year's figure is missing"},
    {"ind/12", "plan is not a number"},
    /* and what a district reviewer finds besides (issue 10) */
    {"ind/12", "unit is xã"},
    {"ind/19", "last year's figure is missing"},
    {"ind/21", "\"đạt\", not a percentage"},
    {"ind/23", "\"6/6\", not a percentage"},
    {"b/", "computed with 3.222, but the report states 2.685"},
    {"b/", "1,59% in one place and 1,53 in another"},
    {"b/", "down to 1,53 is a fall of 1,79, not 1,73"},
};
#define N_SEED_FINDINGS (sizeof SEED_FINDINGS / sizeof SEED_FINDINGS[0])

/* The findings are the seed's own, each once, plus (unless `where` is NULL)
 * exactly one at `where` saying `word`: the error is flagged where it is
 * and nowhere new. */
static void flagged_only(const cJSON *a, const char *where, const char *word)
{
    size_t seen[N_SEED_FINDINGS] = {0}, seen_new = 0;
    const cJSON *e;

    cJSON_ArrayForEach(e, a)
    {
        int known = 0;

        for (size_t i = 0; i < N_SEED_FINDINGS; i++)
            if (is_at(e, SEED_FINDINGS[i][0], SEED_FINDINGS[i][1])) {
                seen[i]++;
                known = 1;
            }
        if (where != NULL && is_at(e, where, word)) {
            seen_new++;
            known = 1;
        }
        if (!known)
            fail_msg("a finding nowhere expected: %s: %s",
                     cJSON_GetObjectItem(e, "where")->valuestring,
                     cJSON_GetObjectItem(e, "en")->valuestring);
    }
    for (size_t i = 0; i < N_SEED_FINDINGS; i++)
        if (seen[i] != 1)
            fail_msg("the seed's finding %s '%s' shows %zu times", SEED_FINDINGS[i][0],
                     SEED_FINDINGS[i][1], seen[i]);
    if (where != NULL && seen_new != 1)
        fail_msg("%s '%s' shows %zu times, not once", where, word, seen_new);
    assert_int_equal(cJSON_GetArraySize(a), N_SEED_FINDINGS + (where != NULL));
}

/* The seed's own findings: 12, on rows 4, 5, 9, 12, 19, 21 and 23 and in
 * the prose (the employed, the poverty rate twice). */
static void test_report_check__seed_findings(void **state)
{
    char *seed = seed_with("Lưu:VT.", "Lưu:VT.");
    cJSON *a = check(*state, seed);

    assert_int_equal(cJSON_GetArraySize(a), 12);
    assert_true(has(a, "ind/4", "rounded from 823,6"));
    assert_true(has(a, "ind/5", "recomputed 56,7"));
    assert_true(has(a, "ind/9", "wrong unit"));
    assert_true(has(a, "ind/12", "last year's figure is missing"));
    assert_true(has(a, "ind/12", "plan is not a number"));
    flagged_only(a, NULL, NULL);
    cJSON_Delete(a);
    free(seed);
}

static void test_report_check__group_count(void **state)
{
    char *t = seed_with("(11 chỉ tiêu)", "(12 chỉ tiêu)");
    cJSON *a = check(*state, t);

    flagged_only(a, "ind/I", "states 12 indicators but holds 11");
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__shares_add_up_to_100(void **state)
{
    char *t = seed_with("\t44,61\t", "\t45,61\t");
    cJSON *a = check(*state, t);

    flagged_only(a, "ind/2/plan", "add up to 101,00%");
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__stated_total(void **state)
{
    char *t = seed_with("Tổng trao quà: 780 suất", "Tổng trao quà: 781 suất");
    cJSON *a = check(*state, t);

    flagged_only(a, "b/", "781 suất but the items add up to 780");
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__stated_total_in_money(void **state)
{
    char *t = seed_with("145.500.000 đồng", "145.600.000 đồng");
    cJSON *a = check(*state, t);

    flagged_only(a, "b/", "310.800.000 đồng but the items add up to 310.900.000");
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__missing_estimate(void **state)
{
    /* Row 6 without its estimate (and its derived columns), not marked
     * for the year's end. */
    char *t = seed_with("Ha\t35\t35\t35\t100,0\t100,0\t0\t", "Ha\t35\t35\t\t\t\t\t");
    cJSON *a = check(*state, t);

    flagged_only(a, "ind/6", "estimate is missing");
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__year_end_rows_are_not_missing(void **state)
{
    /* Row 13 has no estimate but says "Đánh giá vào cuối năm": not flagged. */
    char *t = seed_with("Lưu:VT.", "Lưu:VT.");
    cJSON *a = check(*state, t);

    assert_false(has(a, "ind/13", "missing"));
    assert_false(has(a, "ind/1", "missing"));
    flagged_only(a, NULL, NULL);
    cJSON_Delete(a);
    free(t);
}

static void test_report_check__derived_ratio(void **state)
{
    char *t = seed_with("\t624,4\t", "\t642,4\t");
    cJSON *a = check(*state, t);

    flagged_only(a, "ind/8", "reads 642,4, recomputed 624,4");
    cJSON_Delete(a);
    free(t);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_report_check__seed_findings),
        T(test_report_check__group_count),
        T(test_report_check__shares_add_up_to_100),
        T(test_report_check__stated_total),
        T(test_report_check__stated_total_in_money),
        T(test_report_check__missing_estimate),
        T(test_report_check__year_end_rows_are_not_missing),
        T(test_report_check__derived_ratio),
    };

    return cmocka_run_group_tests_name("test_report_check", tests, NULL, NULL);
}
