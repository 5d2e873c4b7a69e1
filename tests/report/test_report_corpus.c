/*
 * `report check` measured on the corpus of tests/fixtures/reports/: reports
 * of other communes, kinds and periods, exported as Word and Notepad do,
 * each with a truth file listing its planted faults and its tricky-but-
 * correct cells (tests/fixtures/reports/make_corpus.py says how they were
 * made), plus the seed with the faults a district reviewer finds in it.
 *
 * Each file is imported by the real `xasync` into a fresh database and
 * checked with `report check --json`.  A finding is a true positive when a
 * planted fault has its code and its place (the cell path, or "b/" for
 * prose with the figure the finding must quote); every other finding is a
 * false alarm.  The test prints precision and recall, every miss and every
 * false alarm, and fails below 95 % recall or 90 % precision.
 *
 * The malformed files (not UTF-8, UTF-16, a PDF, empty, a row missing a
 * column) must be refused with exit 1, a message naming the problem, and
 * nothing written.
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <dirent.h>
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

/* tests/fixtures/reports, next to the seed. */
static char *corpus_dir(void)
{
    const char *seed = XA_SEED_REPORT;
    const char *slash = strrchr(seed, '/');
    size_t n = (size_t)(slash - seed);
    char *d = malloc(n + sizeof("/reports"));

    assert_non_null(d);
    memcpy(d, seed, n);
    memcpy(d + n, "/reports", sizeof("/reports"));
    return d;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The truth files, sorted. */
static char **truth_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t k = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 11 && strcmp(e->d_name + l - 11, ".truth.json") == 0) {
            v = realloc(v, (k + 1) * sizeof(*v));
            assert_non_null(v);
            v[k++] = xt_path(dir, e->d_name);
        }
    }
    closedir(d);
    qsort(v, k, sizeof(*v), cmp_str);
    *n = k;
    return v;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Does a finding's place fall under the truth's ("ind/5" takes "ind/5" and
 * "ind/5/vs_plan", not "ind/50"; "b/" any block)? */
static int where_in(const char *want, const char *got)
{
    size_t n = strlen(want);

    if (got == NULL || strncmp(got, want, n) != 0)
        return 0;
    return want[n - 1] == '/' || got[n] == '\0' || got[n] == '/' || got[n] == '#';
}

static int quotes(const cJSON *f, const char *about)
{
    const char *k[] = {"vi", "en", "excerpt"};

    if (about == NULL)
        return 1;
    for (size_t i = 0; i < 3; i++) {
        const char *s = jstr(f, k[i]);
        if (s && strstr(s, about))
            return 1;
    }
    return 0;
}

static int matches(const cJSON *truth, const cJSON *f)
{
    const char *code = jstr(truth, "code"), *fc = jstr(f, "code");

    return code && fc && strcmp(code, fc) == 0 &&
           where_in(jstr(truth, "where"), jstr(f, "where")) && quotes(f, jstr(truth, "about"));
}

typedef struct tally {
    int tp, fp, planted, found;
} tally;

static void one(const char *cdir, const char *truth_path, tally *t)
{
    size_t len = 0;
    char *tj = xt_read_file(truth_path, &len), *dir = xt_tempdir(), *db = xt_path(dir, "pc.db");
    cJSON *truth = cJSON_Parse(tj), *imp, *faults, *correct, *found, *f;
    char *file;
    const char *refuse;
    xt_run r;
    int tp = 0, fp = 0, planted = 0, hit = 0;

    assert_non_null(truth);
    file = xt_path(cdir, jstr(truth, "file"));
    r = xt_xasync(ARGV("--db", db, "init", "--scope", "xa-test"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    imp = cJSON_GetObjectItemCaseSensitive(truth, "import");
    refuse = jstr(imp, "refused");
    if (refuse) {
        uint64_t before = xt_db_digest(db);
        r = xt_xasync(ARGV("--db", db, "report", "import", file), NULL, NULL);
        if (r.status != 1 || strncmp(r.err, "xasync: ", 8) != 0 || strstr(r.err, refuse) == NULL)
            fail_msg("%s: expected a refusal naming '%s' (exit 1), got exit %d: [%s]", file, refuse,
                     r.status, r.err);
        printf("  %-34s refused: %s", jstr(truth, "file"), r.err + 8);
        xt_run_free(&r);
        assert_true(before == xt_db_digest(db));
        r = xt_xasync(ARGV("--db", db, "report", "list"), NULL, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "");
        xt_run_free(&r);
        goto out;
    }
    r = xt_xasync(ARGV("--db", db, "report", "import", file), NULL, NULL);
    if (r.status != 0)
        fail_msg("%s: import failed (exit %d): %s", file, r.status, r.err);
    {
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(imp, "rows");
        const char *p = strstr(r.out, " tables, ");
        unsigned long tables = 0, nrows = 0;
        const char *q = p;
        while (q > r.out && q[-1] != ' ')
            q--;
        if (p == NULL || sscanf(q, "%lu tables, %lu rows", &tables, &nrows) != 2)
            fail_msg("%s: no summary line: [%s]", file, r.out);
        if (cJSON_IsNumber(rows) && (nrows != (unsigned long)rows->valueint || tables != 1))
            fail_msg("%s: imported %lu tables, %lu rows; the file has 1 table of %d rows: %s%s",
                     file, tables, nrows, rows->valueint, r.out, r.err);
    }
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", db, "report", "check", "--json"), NULL, NULL);
    found = cJSON_Parse(r.out);
    if (!cJSON_IsArray(found))
        fail_msg("%s: check --json printed no array: [%s] [%s]", file, r.out, r.err);
    xt_run_free(&r);
    faults = cJSON_GetObjectItemCaseSensitive(truth, "faults");
    correct = cJSON_GetObjectItemCaseSensitive(truth, "correct");
    cJSON_ArrayForEach(f, found)
    {
        const cJSON *x;
        int ok = 0;
        assert_non_null(jstr(f, "code"));
        assert_non_null(jstr(f, "severity"));
        assert_non_null(jstr(f, "where"));
        cJSON_ArrayForEach(x, faults) ok |= matches(x, f);
        if (ok) {
            tp++;
            continue;
        }
        fp++;
        printf("  %-34s FALSE ALARM %s at %s: %s\n", jstr(truth, "file"), jstr(f, "code"),
               jstr(f, "where"), jstr(f, "en"));
        cJSON_ArrayForEach(x, correct) if (where_in(jstr(x, "where"), jstr(f, "where")) &&
                                           quotes(f, jstr(x, "about")))
            printf("  %-34s   (on a correct cell: %s)\n", "", jstr(x, "why"));
    }
    cJSON_ArrayForEach(f, faults)
    {
        const cJSON *x;
        int ok = 0;
        planted++;
        cJSON_ArrayForEach(x, found) ok |= matches(f, x);
        if (ok)
            hit++;
        else
            printf("  %-34s MISSED %s at %s%s%s\n", jstr(truth, "file"), jstr(f, "code"),
                   jstr(f, "where"), jstr(f, "about") ? " about " : "",
                   jstr(f, "about") ? jstr(f, "about") : "");
    }
    printf("  %-34s %d planted, %d found; %d findings, %d false alarms\n", jstr(truth, "file"),
           planted, hit, tp + fp, fp);
    cJSON_Delete(found);
    t->tp += tp;
    t->fp += fp;
    t->planted += planted;
    t->found += hit;
out:
    cJSON_Delete(truth);
    free(tj);
    free(file);
    free(db);
    xt_rmdir(dir);
}

static void test_report_corpus__precision_and_recall(void **state)
{
    char *dir = corpus_dir();
    size_t n = 0;
    char **files = truth_files(dir, &n);
    tally t = {0, 0, 0, 0};
    double precision, recall;

    (void)state;
    assert_true(n >= 25);
    for (size_t i = 0; i < n; i++) {
        one(dir, files[i], &t);
        free(files[i]);
    }
    free(files);
    free(dir);
    precision = t.tp + t.fp ? (double)t.tp / (t.tp + t.fp) : 1.0;
    recall = t.planted ? (double)t.found / t.planted : 1.0;
    printf("corpus: %zu files, %d faults planted, %d found; %d findings, %d false alarms\n"
           "corpus: recall %.1f %%, precision %.1f %%\n",
           n, t.planted, t.found, t.tp + t.fp, t.fp, 100 * recall, 100 * precision);
    assert_true(t.planted >= 40);
    if (recall < 0.95 || precision < 0.90)
        fail_msg("recall %.1f %% (at least 95 %%), precision %.1f %% (at least 90 %%)",
                 100 * recall, 100 * precision);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_corpus__precision_and_recall),
    };

    return cmocka_run_group_tests_name("test_report_corpus", tests, NULL, NULL);
}
