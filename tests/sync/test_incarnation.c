/*
 * A PC's database restored from a backup or copied takes a new node id
 * before it writes, so no dot is ever given a second meaning
 * (storage/incarnation.c).  Run through the real `xasync`, the real
 * district server on 127.0.0.1, and real copies of the files:
 *
 *   1. story 1 of the integrity issue, with the file put back alone (what
 *      `cp`, a backup tool or `sqlite3 .backup` restores): the USB exchange
 *      both ways converges with every edit, and nothing needs moving;
 *   2. story 2: the restored PC hands its new edits to a second PC by USB
 *      before either syncs; both sync without a refusal;
 *   3. a file copied to a second place (a second PC): each writes under its
 *      own id, copied with the record beside it or without;
 *   4. the same path on another machine (another /etc/machine-id, in a
 *      mount namespace of the test's own);
 *   5. a database made before the record existed, or whose record is
 *      damaged, takes one new id, then keeps it;
 *   6. ordinary use never changes the id (100 writes, reopened each time);
 *   7. a record that cannot be written: the command fails saying so, and the
 *      database is unchanged.
 *
 * The disk-image cases (database and record put back together) are the
 * detection's: tests/sync/test_integrity.c and test_sync.c.
 */
#define _GNU_SOURCE
#include "support.h"
#include "xasync/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCOPE "hoang-kim"
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct {
    char *dir, *ddb;
    xt_server sv;
    int server;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f->server)
        xt_server_stop(&f->sv, SIGTERM);
    free(f->sv.log);
    free(f->ddb);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

static void start_district(fx *f)
{
    const char *const scopes[] = {SCOPE, NULL};

    f->ddb = xt_district_setup(f->dir, scopes);
    xt_server_start(&f->sv, f->ddb, NULL);
    f->server = 1;
}

static xt_run run_at(const char *const *argv, const char *file, int line)
{
    xt_run r = xt_xasync(argv, NULL, NULL);

    if (r.status != 0)
        fail_msg("%s:%d: xasync %s %s: exit %d: %s", file, line, argv[2], argv[3] ? argv[3] : "",
                 r.status, r.err);
    return r;
}
#define RUN(...) run_at(ARGV(__VA_ARGS__), __FILE__, __LINE__)

static void must(const char *const *argv, const char *file, int line)
{
    xt_run r = run_at(argv, file, line);
    xt_run_free(&r);
}
#define MUST(...) must(ARGV(__VA_ARGS__), __FILE__, __LINE__)

static char *out_of(const char *const *argv, const char *file, int line)
{
    xt_run r = run_at(argv, file, line);
    char *o = strdup(r.out);
    xt_run_free(&r);
    return o;
}
#define OUT(...) out_of(ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* The node id a database's file holds (meta), read without xasync. */
static xa_node node_of(const char *db)
{
    sqlite3 *d = NULL;
    sqlite3_stmt *s = NULL;
    xa_node n = 0;

    if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(d, "SELECT value FROM meta WHERE key = 'node'", -1, &s, NULL) ==
            SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        xa_node_parse((const char *)sqlite3_column_text(s, 0), &n);
    sqlite3_finalize(s);
    sqlite3_close(d);
    if (n == 0)
        fail_msg("no node id in %s", db);
    return n;
}

/* How many ops the journal holds under `node` (any scope). */
static int ops_of(const char *db, xa_node node)
{
    sqlite3 *d = NULL;
    sqlite3_stmt *s = NULL;
    int n = -1;

    if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(d, "SELECT count(*) FROM journal WHERE node = ?1", -1, &s, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_int64(s, 1, (sqlite3_int64)node);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(d);
    return n;
}

static void set3(const char *db, const char *prefix, const char *value)
{
    for (int i = 1; i <= 3; i++) {
        char field[16];
        snprintf(field, sizeof field, "%s%d", prefix, i);
        MUST("--db", db, "set", "r", field, value);
    }
}

/* The USB exchange from `from` to `to`, which must succeed with nothing
 * moved (no "restored from a backup" refusal, no re-keying). */
static void usb_at(const fx *f, const char *from, const char *to, const char *file, int line)
{
    char *hp = xt_path(f->dir, "have.json"), *op = xt_path(f->dir, "ops.json");
    char *have = out_of(ARGV("--db", to, "have"), file, line);
    xt_write_file(hp, have, strlen(have));
    char *ops = out_of(ARGV("--db", from, "export-ops", "--have", hp), file, line);
    xt_write_file(op, ops, strlen(ops));
    xt_run r = xt_xasync(ARGV("--db", to, "apply", op), NULL, NULL);
    if (r.status != 0)
        fail_msg("%s:%d: USB %s -> %s: exit %d: %s", file, line, from, to, r.status, r.err);
    if (strstr(r.err, "restored") || strstr(r.err, "moved") || strstr(r.err, "new id"))
        fail_msg("%s:%d: USB %s -> %s moved edits: %s", file, line, from, to, r.err);
    xt_run_free(&r);
    free(have);
    free(ops);
    free(hp);
    free(op);
}
#define USB(f, from, to) usb_at((f), (from), (to), __FILE__, __LINE__)

/* Both show the same fields and have, every x and y edit is there, and no
 * field is in conflict. */
static void converged(const char *a, const char *b, const char *xv, const char *yv)
{
    char *sa = OUT("--db", a, "show"), *sb = OUT("--db", b, "show");
    char *ha = OUT("--db", a, "have"), *hb = OUT("--db", b, "have");

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

/* The note a fork prints, with its reason. */
static void expect_fork_note(const xt_run *r, const char *why_en)
{
    if (strstr(r->err, "writes under a new PC id") == NULL || strstr(r->err, why_en) == NULL ||
        strstr(r->err, "ghi dưới mã máy mới") == NULL)
        fail_msg("expected the new-id note (%s), got: [%s]", why_en, r->err);
}

/* 1 */
static void test_incarnation__restored_file_by_usb_both_ways(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *b = xt_path(f->dir, "b.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xa_node first;
    xt_run r;

    MUST("--db", a, "init", "--scope", SCOPE);
    MUST("--db", b, "init", "--scope", SCOPE);
    set3(a, "c", "common");
    xt_copy_db_file(a, bak); /* the backup: the file alone */
    set3(a, "x", "before-restore");
    USB(f, a, b); /* B holds A:4..6 */
    first = node_of(a);

    xt_copy_db_file(bak, a); /* put back; the record beside it stays */
    r = RUN("--db", a, "set", "r", "y1", "after-restore");
    expect_fork_note(&r, "put back from an older backup");
    xt_run_free(&r);
    MUST("--db", a, "set", "r", "y2", "after-restore");
    MUST("--db", a, "set", "r", "y3", "after-restore");
    assert_true(node_of(a) != first);
    assert_int_equal(ops_of(a, first), 3);
    assert_int_equal(ops_of(a, node_of(a)), 3);

    USB(f, a, b);
    USB(f, b, a);
    converged(a, b, "before-restore", "after-restore");
    assert_int_equal(ops_of(a, first), 6); /* x1..x3 came back from B */
    free(a);
    free(b);
    free(bak);
}

/* 2 */
static void test_incarnation__restored_file_usb_then_sync(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "c.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xa_node first;

    start_district(f);
    xt_pc_setup(f->dir, a, SCOPE, f->sv.port);
    xt_pc_setup(f->dir, c, SCOPE, f->sv.port);
    set3(a, "c", "common");
    MUST("--db", a, "sync");
    MUST("--db", c, "sync");
    xt_copy_db_file(a, bak);
    set3(a, "x", "before-restore");
    MUST("--db", a, "sync"); /* the district holds A:4..6 */
    first = node_of(a);

    xt_copy_db_file(bak, a);
    set3(a, "y", "after-restore");
    assert_true(node_of(a) != first);
    MUST("--db", c, "set", "r", "z", "on-c");
    USB(f, a, c); /* C carries A's new edits before A syncs */
    MUST("--db", c, "sync");
    MUST("--db", a, "sync");
    MUST("--db", c, "sync");
    converged(a, c, "before-restore", "after-restore");
    {
        char *sa = OUT("--db", a, "show");
        if (strstr(sa, "r\tz\ton-c") == NULL)
            fail_msg("lost C's edit:\n%s", sa);
        free(sa);
    }
    /* the district holds each edit once: A's first id 6, the new id 3 */
    assert_int_equal(ops_of(f->ddb, first), 6);
    assert_int_equal(ops_of(f->ddb, node_of(a)), 3);
    free(a);
    free(c);
    free(bak);
}

/* 3 */
static void test_incarnation__copied_file_and_folder(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "clone.db"),
         *d = xt_path(f->dir, "folder-copy.db"), *am = xt_path(f->dir, "a.db-node"),
         *dm = xt_path(f->dir, "folder-copy.db-node");
    xa_node na;
    size_t n = 0;
    char *rec;
    xt_run r;

    MUST("--db", a, "init", "--scope", SCOPE);
    set3(a, "c", "common");
    na = node_of(a);
    xt_copy_db_file(a, c);
    /* a folder copied whole: the record travels, but names a.db's place */
    xt_copy_db_file(a, d);
    rec = xt_read_file(am, &n);
    assert_non_null(rec);
    xt_write_file(dm, rec, n);
    free(rec);

    set3(a, "x", "on-a");
    r = RUN("--db", c, "set", "r", "y1", "on-clone");
    expect_fork_note(&r, "the record of its PC id beside it is missing");
    xt_run_free(&r);
    MUST("--db", c, "set", "r", "y2", "on-clone");
    MUST("--db", c, "set", "r", "y3", "on-clone");
    r = RUN("--db", d, "set", "r", "w", "on-folder-copy");
    expect_fork_note(&r, "copied or moved to another place");
    xt_run_free(&r);
    assert_true(node_of(a) == na);
    assert_true(node_of(c) != na && node_of(d) != na && node_of(c) != node_of(d));

    USB(f, a, c);
    USB(f, c, a);
    converged(a, c, "on-a", "on-clone");
    USB(f, d, a);
    USB(f, a, d);
    converged(a, d, "on-a", "on-clone");
    free(a);
    free(c);
    free(d);
    free(am);
    free(dm);
}

/* 4: the same path, record and all, on a machine with another id */
static void test_incarnation__same_path_on_another_machine(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *mid = xt_path(f->dir, "machine-id"), cmd[4096];
    const char *bin = getenv("XA_BIN");
    xa_node na;
    xt_run r;

    MUST("--db", a, "init", "--scope", SCOPE);
    MUST("--db", a, "set", "r", "c1", "common");
    na = node_of(a);
    {
        const char *other = "0123456789abcdef0123456789abcdef\n";
        xt_write_file(mid, other, strlen(other));
    }
    if (bin == NULL)
        bin = XA_BIN;
    snprintf(cmd, sizeof cmd,
             "[ -s /etc/machine-id ] || exit 97; mount --bind '%s' /etc/machine-id || exit 97;"
             " if [ -e /var/lib/dbus/machine-id ]; then"
             " mount --bind '%s' /var/lib/dbus/machine-id || exit 97; fi;"
             " exec '%s' --db '%s' set r c2 elsewhere",
             mid, mid, bin, a);
    r = xt_exec("/usr/bin/unshare", ARGV("--mount", "--propagation", "private", "sh", "-c", cmd),
                NULL, NULL);
    if (r.status == 97 || (r.status != 0 && strstr(r.err, "unshare:")))
        xt_skip("no machine id, or no mount namespace here (needs root): the machine check is"
                " not exercised");
    if (r.status != 0)
        fail_msg("set on the other machine: exit %d: %s", r.status, r.err);
    expect_fork_note(&r, "copied to another machine");
    xt_run_free(&r);
    assert_true(node_of(a) != na);
    assert_int_equal(ops_of(a, na), 1);
    /* back on this machine: the record now names the other one, so once
     * more a new id (a file carried back and forth costs ids, never edits) */
    r = RUN("--db", a, "set", "r", "c3", "home");
    expect_fork_note(&r, "copied to another machine");
    xt_run_free(&r);
    free(a);
    free(mid);
}

/* 5 */
static void test_incarnation__missing_or_damaged_record_then_stable(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *am = xt_path(f->dir, "a.db-node");
    static const char *const damaged[] = {
        "", "xasync node marker 1\nnode zz\ncount 1\nmachine x\npath /\n", "\xff\xfe garbage\n"};
    xa_node prev;
    xt_run r;

    MUST("--db", a, "init", "--scope", SCOPE);
    MUST("--db", a, "set", "r", "c1", "v");
    for (size_t k = 0; k < 1 + sizeof damaged / sizeof *damaged; k++) {
        prev = node_of(a);
        if (k == 0)
            assert_int_equal(unlink(am), 0); /* as made before the record existed */
        else
            xt_write_file(am, damaged[k - 1], strlen(damaged[k - 1]));
        r = RUN("--db", a, "get", "r", "c1");
        expect_fork_note(&r, "beside it is missing");
        assert_string_equal(r.out, "v\n");
        xt_run_free(&r);
        assert_true(node_of(a) != prev);
        prev = node_of(a);
        for (int i = 0; i < 3; i++) {
            r = RUN("--db", a, "set", "r", "c1", "v");
            assert_string_equal(r.err, "");
            xt_run_free(&r);
        }
        assert_true(node_of(a) == prev);
    }
    free(a);
    free(am);
}

/* 6 */
static void test_incarnation__ordinary_use_keeps_the_id(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db");
    xa_node na;

    MUST("--db", a, "init", "--scope", SCOPE);
    na = node_of(a);
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        xt_run r = RUN("--db", a, "set", "r", i % 2 ? "odd" : "even", v);
        assert_string_equal(r.err, "");
        xt_run_free(&r);
    }
    assert_true(node_of(a) == na);
    assert_int_equal(ops_of(a, na), 100);
    free(a);
}

/* 7 */
static void test_incarnation__record_cannot_be_written(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *am = xt_path(f->dir, "a.db-node");
    uint64_t before;
    xt_run r;

    MUST("--db", a, "init", "--scope", SCOPE);
    MUST("--db", a, "set", "r", "c1", "v");
    /* a folder where the record goes: it cannot be replaced */
    assert_int_equal(unlink(am), 0);
    assert_int_equal(mkdir(am, 0700), 0);
    before = xt_db_digest(a);
    r = xt_xasync(ARGV("--db", a, "set", "r", "c1", "w"), NULL, NULL);
    if (r.status != 1 || strstr(r.err, "a.db-node") == NULL ||
        strstr(r.err, "the record of this PC's id beside its database") == NULL)
        fail_msg("expected exit 1 naming the record; got %d: %s", r.status, r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(a) == before);
    rmdir(am);
    free(a);
    free(am);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incarnation__restored_file_by_usb_both_ways, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__restored_file_usb_then_sync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__copied_file_and_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__same_path_on_another_machine, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__missing_or_damaged_record_then_stable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__ordinary_use_keeps_the_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incarnation__record_cannot_be_written, setup,
                                        teardown),
    };
    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
