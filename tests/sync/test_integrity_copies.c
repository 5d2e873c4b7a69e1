/*
 * Nothing lost: dots reused unseen by a PC restored from its backup or
 * copied to another machine, met by USB (`xasync export-ops`, `xasync
 * apply`, the real program) and through the real district server: every
 * edit arrives once, moved edits do not come back, and the copies
 * converge.  The harness: tests/support/integrityfx.h.
 */
#include "integrityfx.h"
#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---- dots reused unseen: a restored or copied PC, by USB ---------------- */

static char *out_of(const char *const *argv)
{
    xt_run r = xt_xasync(argv, NULL, NULL);
    char *o;

    if (r.status != 0)
        fail_msg("%s: exit %d: %s", argv[2], r.status, r.err);
    o = strdup(r.out);
    xt_run_free(&r);
    return o;
}

/* The USB exchange from `from` to `to`: `to`'s have, `from`'s export for
 * it, `to` applies.  The apply's run (the caller frees it). */
static xt_run usb(const xg_fx *f, const char *from, const char *to)
{
    char *have = out_of(ARGV("--db", to, "have"));
    char *hp = xt_path(f->dir, "have.json"), *op = xt_path(f->dir, "ops.json");
    xt_write_file(hp, have, strlen(have));
    char *ops = out_of(ARGV("--db", from, "export-ops", "--have", hp));
    xt_write_file(op, ops, strlen(ops));
    xt_run r = xt_xasync(ARGV("--db", to, "apply", op), NULL, NULL);
    free(have);
    free(ops);
    free(hp);
    free(op);
    return r;
}

/* Backups, restores and clones here are disk images (the record beside the
 * file travels with it): the cases only the meeting of copies can find.  A
 * plain file copy takes a new id at once: tests/sync/test_incarnation.c. */
static void copy_db(const char *from, const char *to)
{
    xt_copy_db_image(from, to);
}

static void set3(const char *db, const char *prefix, const char *value)
{
    for (int i = 1; i <= 3; i++) {
        char field[16];
        snprintf(field, sizeof field, "%s%d", prefix, i);
        xg_must_run(ARGV("--db", db, "set", "r", field, value), "set");
    }
}

/* Both hold the same edits, and every one of the twelve (c1..c3 common,
 * x1..x3 of the first incarnation, y1..y3 of the second, z of the other
 * PC) is there. */
static void converged(const char *a, const char *b, const char *xv, const char *yv)
{
    char *sa = out_of(ARGV("--db", a, "show"));
    char *sb = out_of(ARGV("--db", b, "show"));
    char *ha = out_of(ARGV("--db", a, "have"));
    char *hb = out_of(ARGV("--db", b, "have"));

    assert_string_equal(sa, sb);
    assert_string_equal(ha, hb);
    for (int i = 1; i <= 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "r\tx%d\t%s", i, xv);
        if (strstr(sa, want) == NULL)
            fail_msg("lost %s in:\n%s", want, sa);
        snprintf(want, sizeof want, "r\ty%d\t%s", i, yv);
        if (strstr(sa, want) == NULL)
            fail_msg("lost %s in:\n%s", want, sa);
    }
    assert_null(strstr(sa, "CONFLICT"));
    free(sa);
    free(sb);
    free(ha);
    free(hb);
}

/* Story 1: a PC restored from its backup makes three edits that reuse the
 * seqs of three made after the backup; the other PC holds those.  The USB
 * exchange used to report success both ways and diverge for good. */
static void test_integrity__restored_pc_by_usb_both_ways(void **state)
{
    xg_fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *b = xt_path(f->dir, "b.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xt_run r;

    xg_must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    xg_must_run(ARGV("--db", b, "init", "--scope", SCOPE), "init b");
    set3(a, "c", "common");
    copy_db(a, bak); /* the backup */
    set3(a, "x", "before-restore");
    r = usb(f, a, b);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    copy_db(bak, a); /* restored */
    set3(a, "y", "after-restore");

    /* B meets A's second incarnation: found, refused, B unchanged */
    uint64_t db_b = xt_db_digest(b);
    r = usb(f, a, b);
    if (r.status != 1 || strstr(r.err, "restored from a backup or copied") == NULL)
        fail_msg("B took A's reused dots: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(b) == db_b);

    /* A meets B's copy of its first incarnation: A moves its new edits */
    r = usb(f, b, a);
    if (r.status != 1 || strstr(r.err, "3 edits since then now carry a new id") == NULL)
        fail_msg("A did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);

    /* the exchange as documented, both ways, now converges */
    r = usb(f, b, a);
    if (r.status != 0)
        fail_msg("B to A after the re-key: %s", r.err);
    xt_run_free(&r);
    r = usb(f, a, b);
    if (r.status != 0)
        fail_msg("A to B after the re-key: %s", r.err);
    xt_run_free(&r);
    converged(a, b, "before-restore", "after-restore");
    free(a);
    free(b);
    free(bak);
}

/* A restored PC hands its new edits to a third PC, then moves them to a new
 * id when it meets the second PC's copy of its first incarnation.  The third
 * PC's file would bring them back under their old dots (the same edits
 * twice, once per id): refused; the third PC, given the restored PC's file,
 * makes the same move (the same new id, the same ops); then all three
 * converge with every edit once. */
static void test_integrity__moved_edits_do_not_come_back_by_usb(void **state)
{
    xg_fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *b = xt_path(f->dir, "b.db"), *c = xt_path(f->dir, "c.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xt_run r;

    xg_must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    xg_must_run(ARGV("--db", b, "init", "--scope", SCOPE), "init b");
    xg_must_run(ARGV("--db", c, "init", "--scope", SCOPE), "init c");
    set3(a, "c", "common");
    copy_db(a, bak);
    set3(a, "x", "before-restore");
    r = usb(f, a, b);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    copy_db(bak, a);
    set3(a, "y", "after-restore");
    r = usb(f, a, c); /* C takes the second incarnation */
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = usb(f, b, a); /* A meets the first one: it moves its new edits */
    if (r.status != 1 || strstr(r.err, "now carry a new id") == NULL)
        fail_msg("A did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);

    /* C's file brings them back under the old dots: refused, A unchanged */
    uint64_t before = xt_db_digest(a);
    r = usb(f, c, a);
    if (r.status != 1 || strstr(r.err, "has moved to a new id") == NULL)
        fail_msg("A took back its moved edits: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(a) == before);

    /* C takes A's file: it makes the same move, and the exchange is
     * repeated */
    r = usb(f, a, c);
    if (r.status != 1 || strstr(r.err, "has moved them the same way") == NULL)
        fail_msg("C did not follow A's move: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    static const char *const order[][2] = {{"a", "c"}, {"c", "a"}, {"b", "a"}, {"a", "b"},
                                           {"b", "c"}, {"c", "b"}, {"a", "c"}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *from = order[i][0][0] == 'a' ? a : order[i][0][0] == 'b' ? b : c;
        const char *to = order[i][1][0] == 'a' ? a : order[i][1][0] == 'b' ? b : c;
        r = usb(f, from, to);
        if (r.status != 0)
            fail_msg("%s to %s: %s", order[i][0], order[i][1], r.err);
        xt_run_free(&r);
    }
    converged(a, b, "before-restore", "after-restore");
    converged(a, c, "before-restore", "after-restore");
    /* every edit once: 3 common, 3 first incarnation, 3 moved */
    char *log = out_of(ARGV("--db", a, "export-ops", "--all"));
    cJSON *j = cJSON_Parse(log), *nodes = cJSON_GetObjectItem(j, "nodes");
    assert_int_equal(cJSON_GetArraySize(nodes), 2); /* A's first id and its new one */
    cJSON_Delete(j);
    free(log);
    free(a);
    free(b);
    free(c);
    free(bak);
}

/* A PC copied to another machine: both write under one node id. */
static void test_integrity__cloned_pc_by_usb(void **state)
{
    xg_fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "clone.db");
    xt_run r;

    xg_must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    set3(a, "c", "common");
    copy_db(a, c);
    set3(a, "x", "on-a");
    set3(c, "y", "on-clone");

    /* the clone applies A's file: its own dots differ, it re-keys */
    r = usb(f, a, c);
    if (r.status != 1 || strstr(r.err, "now carry a new id") == NULL)
        fail_msg("the clone did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    r = usb(f, a, c);
    if (r.status != 0)
        fail_msg("A to the clone: %s", r.err);
    xt_run_free(&r);
    r = usb(f, c, a);
    if (r.status != 0)
        fail_msg("the clone to A: %s", r.err);
    xt_run_free(&r);
    converged(a, c, "on-a", "on-clone");
    /* and the two PCs now write under two ids */
    char *ha = out_of(ARGV("--db", a, "have"));
    cJSON *j = cJSON_Parse(ha);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    free(ha);
    free(a);
    free(c);
}

/* Story 2: the restored PC hands its new edits to a second PC by USB
 * before it syncs.  The second PC used to get 409 "forged" on every sync,
 * forever. */
static void test_integrity__restored_pc_usb_then_sync(void **state)
{
    xg_fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "c.db"),
         *bak = xt_path(f->dir, "a-backup.db");

    xt_pc_setup(f->dir, a, SCOPE, f->sv.port);
    xt_pc_setup(f->dir, c, SCOPE, f->sv.port);
    set3(a, "c", "common");
    xg_must_run(ARGV("--db", a, "sync"), "sync a");
    copy_db(a, bak);
    set3(a, "x", "before-restore");
    xg_must_run(ARGV("--db", a, "sync"), "sync a");
    copy_db(bak, a);
    set3(a, "y", "after-restore");
    xt_run r = usb(f, a, c);
    if (r.status != 0)
        fail_msg("A to C by USB: %s", r.err);
    xt_run_free(&r);
    xg_must_run(ARGV("--db", c, "set", "r", "z", "on-c"), "set on c");

    /* C syncs: its copies of A's new edits move to a new id, nothing lost */
    r = xt_xasync(ARGV("--db", c, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("C's sync with A's reused dots: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    xg_must_run(ARGV("--db", a, "sync"), "sync a after c");
    xg_must_run(ARGV("--db", c, "sync"), "sync c again");
    xg_must_run(ARGV("--db", a, "sync"), "sync a again");

    char *sa = out_of(ARGV("--db", a, "show")), *sc = out_of(ARGV("--db", c, "show"));
    assert_string_equal(sa, sc);
    static const char *const want[] = {"r\tc1\tcommon",         "r\tx1\tbefore-restore",
                                       "r\tx3\tbefore-restore", "r\ty1\tafter-restore",
                                       "r\ty3\tafter-restore",  "r\tz\ton-c"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(sa, want[i]) == NULL)
            fail_msg("lost %s in:\n%s", want[i], sa);
    /* A and C moved the same three edits to the same new id: they meet as
     * one edit each, not as a conflict of an edit with its own copy */
    if (strstr(sa, "CONFLICT") != NULL)
        fail_msg("an edit met its own copy as a conflict:\n%s", sa);
    char *ha = out_of(ARGV("--db", a, "have")), *hc = out_of(ARGV("--db", c, "have"));
    assert_string_equal(ha, hc);
    cJSON *hj = cJSON_Parse(ha);
    assert_int_equal(cJSON_GetArraySize(hj), 3); /* A's old id, its new one, C */
    cJSON_Delete(hj);
    free(ha);
    free(hc);
    free(sa);
    free(sc);
    free(a);
    free(c);
    free(bak);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integrity__restored_pc_by_usb_both_ways, xg_setup,
                                        xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__cloned_pc_by_usb, xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__moved_edits_do_not_come_back_by_usb,
                                        xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__restored_pc_usb_then_sync, xg_setup,
                                        xg_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(failed);
}
