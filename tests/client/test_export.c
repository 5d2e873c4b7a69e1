/*
 * `xasync export-ops` in bounded memory, and split into files `apply`
 * takes in order (the USB path for a large journal).
 *
 * Two PCs write 200 edits whose contexts cross between them; the export
 * is written with -o under a small size limit (XASYNC_EXPORT_FILE_MAX), so
 * it becomes a series FILE, FILE.2, ...  Each file stays near the limit and
 * needs only the files before it: applied in order on a fresh PC they give
 * the same fields and version vector; a later file first is refused with a
 * message that says what to do, and changes nothing.
 */
#include "support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define SCOPE "hoang-kim"
#define LIMIT 8192

typedef struct fx {
    char *dir, *a, *b;
} fx;

static void ok(const char *const *argv, const char *const *env, const char *what)
{
    xt_run r = xt_xasync(argv, NULL, env);
    if (r.status != 0)
        fail_msg("%s: exit %d: %s", what, r.status, r.err);
    xt_run_free(&r);
}

static char *out_of(const char *const *argv)
{
    xt_run r = xt_xasync(argv, NULL, NULL);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    char *o = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return o;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = xt_tempdir();
    f->a = xt_path(f->dir, "a.db");
    f->b = xt_path(f->dir, "b.db");
    ok(ARGV("--db", f->a, "init", "--scope", SCOPE), NULL, "init a");
    ok(ARGV("--db", f->b, "init", "--scope", SCOPE), NULL, "init b");
    /* 400 edits on two PCs, each seeing the other's now and then */
    char *ops = xt_path(f->dir, "x.json");
    for (int round = 0; round < 8; round++) {
        const char *pc = round % 2 ? f->b : f->a, *other = round % 2 ? f->a : f->b;
        char script[64];
        for (int i = 0; i < 25; i++) {
            char field[16], value[96];
            snprintf(field, sizeof field, "f%d", (round * 25 + i) % 23);
            snprintf(value, sizeof value,
                     "round %d edit %d: a value of some length, as in a report", round, i);
            ok(ARGV("--db", pc, "set", "r", field, value), NULL, "set");
        }
        snprintf(script, sizeof script, "round %d", round);
        char *have = out_of(ARGV("--db", other, "have"));
        char *x = out_of(ARGV("--db", pc, "export-ops", "--have", have));
        xt_write_file(ops, x, strlen(x));
        ok(ARGV("--db", other, "apply", ops), NULL, script);
        free(have);
        free(x);
    }
    free(ops);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    xt_rmdir(f->dir);
    free(f->a);
    free(f->b);
    free(f);
    return 0;
}

static void test_export__split_files_apply_in_order(void **state)
{
    fx *f = *state;
    char *base = xt_path(f->dir, "ops.json"), names[16][600];
    char limit[64];
    int n = 0;
    struct stat sb;

    snprintf(limit, sizeof limit, "XASYNC_EXPORT_FILE_MAX=%d", LIMIT);
    xt_run r = xt_xasync(ARGV("--db", f->b, "export-ops", "--all", "-o", base), NULL, ARGV(limit));
    if (r.status != 0)
        fail_msg("export: %s", r.err);
    if (strstr(r.err, "apply them in this order") == NULL)
        fail_msg("no word of the order: %s", r.err);
    xt_run_free(&r);
    for (n = 0; n < 16; n++) {
        if (n == 0)
            snprintf(names[n], sizeof names[n], "%s", base);
        else
            snprintf(names[n], sizeof names[n], "%s.%d", base, n + 1);
        if (stat(names[n], &sb) != 0)
            break;
        /* near the limit: a file holds at least one page of 32 ops */
        if (sb.st_size > LIMIT + 32 * 200)
            fail_msg("%s is %lld bytes, over the limit %d", names[n], (long long)sb.st_size, LIMIT);
    }
    if (n < 4)
        fail_msg("200 edits under %d bytes a file made only %d files", LIMIT, n);

    /* a later file first: refused, saying what to do, nothing changed */
    char *c = xt_path(f->dir, "c.db");
    ok(ARGV("--db", c, "init", "--scope", SCOPE), NULL, "init c");
    uint64_t before = xt_db_digest(c);
    r = xt_xasync(ARGV("--db", c, "apply", names[1]), NULL, NULL);
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "apply the files before it first") == NULL)
        fail_msg("a later file first: %s", r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(c) == before);

    /* in order, in one call: the same as the PC that exported */
    const char *argv[24] = {"--db", c, "apply"};
    int k = 3;
    for (int i = 0; i < n; i++)
        argv[k++] = names[i];
    argv[k] = NULL;
    ok(argv, NULL, "apply in order");
    char *sc = out_of(ARGV("--db", c, "show")), *sb2 = out_of(ARGV("--db", f->b, "show"));
    char *hc = out_of(ARGV("--db", c, "have")), *hb = out_of(ARGV("--db", f->b, "have"));
    assert_string_equal(sc, sb2);
    assert_string_equal(hc, hb);
    free(sc);
    free(sb2);
    free(hc);
    free(hb);
    free(c);
    free(base);
}

/* Without -o: one document on standard output, the same ops. */
static void test_export__stdout_one_document(void **state)
{
    fx *f = *state;
    char *all = out_of(ARGV("--db", f->a, "export-ops", "--all"));
    char *path = xt_path(f->dir, "all.json"), *d = xt_path(f->dir, "d.db");

    xt_write_file(path, all, strlen(all));
    ok(ARGV("--db", d, "init", "--scope", SCOPE), NULL, "init d");
    xt_run r = xt_xasync(ARGV("--db", d, "apply", path), NULL, NULL);
    if (r.status != 0 || strstr(r.out, "applied 200 ops") == NULL)
        fail_msg("apply the whole export: %d %s %s", r.status, r.out, r.err);
    xt_run_free(&r);
    char *sd = out_of(ARGV("--db", d, "show")), *sa = out_of(ARGV("--db", f->a, "show"));
    assert_string_equal(sd, sa);
    free(sd);
    free(sa);
    free(all);
    free(path);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export__split_files_apply_in_order),
        cmocka_unit_test(test_export__stdout_one_document),
    };
    /* the two PCs are made once for both */
    return xt_tests_status(cmocka_run_group_tests(tests, setup, teardown));
}
