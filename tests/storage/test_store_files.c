/*
 * The store's files (include/xasync/store.h): create, open, reopen; files
 * that are not ours, a newer schema, the district's database of many
 * scopes, two handles on one file. *
 * Through real SQLite files: every refusal must leave the database as it
 * was, which xt_db_digest proves; a file that is not ours must not change
 * by one byte.  The harness: tests/support/storefx.h.
 */
#include "storefx.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---- files: create, open, reopen ------------------------------------------- */

static void test_store__reopen_keeps_identity_and_data(void **state)
{
    xs_fx *f = *state;
    xa_node me = xa_store_node(f->st);

    assert_string_equal(xa_store_scope(f->st), SCOPE);
    assert_string_equal(xa_store_path(f->st), f->path);
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.460\"", "clerk", 0, NULL), "set");
    xa_op a1;
    xt_mkop(&a1, SCOPE, NA, 1, ENT, "plan", "1500", NULL, 0, HLC0, "clerk-a");
    xs_must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "apply");
    xa_field before = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &before), "get");
    xa_store_close(f->st);
    f->st = NULL;
    uint64_t d = xt_db_digest(f->path);

    xs_must(xa_store_open(&f->st, f->path), "open");
    assert_true(xa_store_node(f->st) == me);
    assert_string_equal(xa_store_scope(f->st), SCOPE);
    assert_string_equal(xa_store_path(f->st), f->path);
    xa_field after = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &after), "get after reopen");
    assert_true(xs_field_equal(&before, &after));
    xa_field_clear(&after);
    xs_must(xa_store_get(f->st, SCOPE, ENT, "plan", &after), "get after reopen");
    assert_string_equal(after.v[0].value, "1500");
    xa_field_clear(&after);
    xa_field_clear(&before);
    /* opening writes nothing (migrations are already done) */
    assert_true(xt_db_digest(f->path) == d);

    /* and the seqs go on where they stopped */
    xa_op o;
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.470\"", "clerk", 0, &o), "set after reopen");
    assert_true(o.node == me);
    assert_int_equal(o.seq, 2);
    xa_op_clear(&o);
    xa_op_clear(&a1);
}

static void test_store__create_draws_a_new_node(void **state)
{
    xs_fx *f = *state;
    char *p2 = xt_path(f->dir, "second.db");
    xa_store *st2 = NULL;

    xs_must(xa_store_create(&st2, p2, SCOPE), "create");
    assert_true(xa_store_node(st2) != 0);
    assert_true(xa_store_node(st2) != xa_store_node(f->st));
    xa_store_close(st2);
    xa_store_close(NULL);
    free(p2);
}

static void test_store__create_refuses_existing_path(void **state)
{
    xs_fx *f = *state;
    xa_store *st2 = (xa_store *)0x1;

    /* an xasync database */
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "c", 0, NULL), "set");
    uint64_t d = xt_db_digest(f->path);
    xs_expect_rc(xa_store_create(&st2, f->path, SCOPE), XA_EEXISTS, "create over a database");
    assert_true(st2 == (xa_store *)0x1);
    assert_true(xt_db_digest(f->path) == d);

    /* any other file */
    char *p2 = xt_path(f->dir, "notes.txt");
    xt_write_file(p2, "hello\n", 6);
    uint64_t d2 = xt_file_digest(p2);
    xs_expect_rc(xa_store_create(&st2, p2, SCOPE), XA_EEXISTS, "create over a file");
    assert_true(xt_file_digest(p2) == d2);
    free(p2);

    /* an empty file too */
    p2 = xt_path(f->dir, "empty");
    xt_write_file(p2, "", 0);
    xs_expect_rc(xa_store_create(&st2, p2, SCOPE), XA_EEXISTS, "create over an empty file");
    struct stat sb;
    assert_int_equal(stat(p2, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    free(p2);
}

static void test_store__create_rejects_bad_scope_or_folder(void **state)
{
    xs_fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    xs_expect_rc(xa_store_create(&st, f->path, "Hoang Kim"), XA_EINVAL, "bad scope");
    xs_expect_rc(xa_store_create(&st, f->path, ""), XA_EINVAL, "empty scope");
    assert_int_not_equal(stat(f->path, &sb), 0);
    assert_null(st);

    char *p = xt_path(f->dir, "no/such/folder/x.db");
    int rc = xa_store_create(&st, p, SCOPE);
    assert_true(rc < 0);
    assert_null(st);
    free(p);
}

static void test_store__open_missing_path_is_notfound_and_not_created(void **state)
{
    xs_fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    xs_expect_rc(xa_store_open(&st, f->path), XA_ENOTFOUND, "open a missing file");
    assert_null(st);
    int r = stat(f->path, &sb), e = errno;
    assert_int_not_equal(r, 0);
    assert_int_equal(e, ENOENT);
    char *side = NULL;
    size_t len = strlen(f->path) + 8;
    side = malloc(len);
    assert_non_null(side);
    snprintf(side, len, "%s-wal", f->path);
    assert_int_not_equal(stat(side, &sb), 0);
    snprintf(side, len, "%s-journal", f->path);
    assert_int_not_equal(stat(side, &sb), 0);
    free(side);

    char *p = xt_path(f->dir, "no/such/folder/x.db");
    xs_expect_rc(xa_store_open(&st, p), XA_ENOTFOUND, "open in a missing folder");
    free(p);
}

static void no_sidecars(const char *path)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal"};
    struct stat sb;
    char side[4096];

    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffix[i]);
        if (stat(side, &sb) == 0)
            fail_msg("%s was created", side);
    }
}

static void test_store__open_refuses_files_not_ours_unchanged(void **state)
{
    xs_fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    /* text */
    char *p = xt_path(f->dir, "report.txt");
    const char *txt = "B\xc3\x81O C\xc3\x81O S\xc6\xa0 K\xe1\xba\xbeT\n";
    xt_write_file(p, txt, strlen(txt));
    uint64_t d = xt_file_digest(p);
    xs_expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open a text file");
    assert_null(st);
    assert_true(xt_file_digest(p) == d);
    no_sidecars(p);
    free(p);

    /* a file that starts like SQLite but is garbage */
    p = xt_path(f->dir, "fake.db");
    char buf[4096];
    memset(buf, 0xa5, sizeof buf);
    memcpy(buf, "SQLite format 3", 16);
    xt_write_file(p, buf, sizeof buf);
    d = xt_file_digest(p);
    int rc = xa_store_open(&st, p);
    assert_true(rc == XA_ENOTXA || rc == XA_ECORRUPT);
    assert_true(xt_file_digest(p) == d);
    free(p);

    /* an empty file */
    p = xt_path(f->dir, "empty.db");
    xt_write_file(p, "", 0);
    xs_expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open an empty file");
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    no_sidecars(p);
    free(p);

    /* an SQLite database of another application */
    p = xt_path(f->dir, "other-app.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE contacts(id INTEGER PRIMARY KEY, name TEXT);"
                                  "INSERT INTO contacts(name) VALUES ('Lan'), ('Minh');"
                                  "PRAGMA user_version = 7;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    d = xt_file_digest(p);
    uint64_t dd = xt_db_digest(p);
    xs_expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open another application's database");
    assert_null(st);
    assert_true(xt_file_digest(p) == d);
    assert_true(xt_db_digest(p) == dd);
    no_sidecars(p);
    free(p);

    /* an empty SQLite database (no tables) is not ours either */
    p = xt_path(f->dir, "blank.db");
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1; VACUUM;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    d = xt_file_digest(p);
    xs_expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open a blank SQLite database");
    assert_true(xt_file_digest(p) == d);
    free(p);
}

/* The district server's database: no scope of its own, many scopes inside. */
static void test_store__server_database_holds_many_scopes(void **state)
{
    xs_fx *f = *state;
    xa_store *st = NULL;
    xa_op a1, a1k;
    xa_vv have = XA_VV_INIT;

    xs_must(xa_store_create(&st, f->path, NULL), "create a server database");
    assert_string_equal(xa_store_scope(st), "");
    xt_mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    xt_mkop(&a1k, "xa-khac", NA, 1, ENT, FLD, "2", NULL, 0, HLC0, "a");
    xs_must(xa_store_apply(st, SCOPE, &a1, 1, NULL), "apply in one scope");
    xs_must(xa_store_apply(st, "xa-khac", &a1k, 1, NULL), "the same dot in another scope");
    xs_expect_rc(xa_store_apply(st, SCOPE, &a1k, 1, NULL), XA_ESCOPE, "mismatched scope");
    int rc = xa_store_apply(st, "Bad Scope", &a1k, 1, NULL);
    assert_true(rc == XA_EINVAL || rc == XA_ESCOPE);
    xs_must(xa_store_have(st, SCOPE, &have), "have");
    assert_int_equal(xa_vv_get(&have, NA), 1);
    xs_must(xa_store_have(st, "thi-tran", &have), "have of an unknown scope");
    assert_int_equal(have.n, 0);

    xa_field got = {0};
    xs_must(xa_store_get(st, SCOPE, ENT, FLD, &got), "get");
    assert_string_equal(got.v[0].value, "1");
    xa_field_clear(&got);
    xs_must(xa_store_get(st, "xa-khac", ENT, FLD, &got), "get");
    assert_string_equal(got.v[0].value, "2");
    xa_field_clear(&got);

    xa_store_close(st);
    xs_must(xa_store_open(&st, f->path), "reopen");
    assert_string_equal(xa_store_scope(st), "");
    xa_store_close(st);
    xa_vv_free(&have);
    xa_op_clear(&a1);
    xa_op_clear(&a1k);
}

/* Out-parameters are written, never read (STYLE.md: `*out` written only on
 * success): a caller may pass an uninitialised xa_field or xa_op.  Run in a
 * child, so that a store that frees what `out` happens to hold crashes the
 * child and not this test program. */
static void test_store__out_parameters_need_no_initialising(void **state)
{
    xs_fx *f = *state;

    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    xa_store_close(f->st);
    f->st = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        xa_store *st = NULL;
        xa_field got;
        xa_op op;
        if (xa_store_open(&st, f->path) != 0)
            _exit(10);
        /* garbage, as an uninitialised local may hold */
        memset(&got, 0xa5, sizeof got);
        if (xa_store_get(st, SCOPE, ENT, FLD, &got) != 0)
            _exit(11);
        if (got.n != 1 || strcmp(got.v[0].value, "1") != 0)
            _exit(12);
        xa_field_clear(&got);
        memset(&op, 0xa5, sizeof op);
        if (xa_store_set(st, SCOPE, ENT, FLD, "2", "clerk", 0, &op) != 0)
            _exit(13);
        if (op.seq != 2)
            _exit(14);
        xa_op_clear(&op);
        xa_store_close(st);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("with an uninitialised out: the child %s %d (10 open, 11 get, 12 value, 13 set, "
                 "14 seq; 1 is a sanitizer report, a signal a crash in the store)",
                 WIFEXITED(status) ? "exited" : "died of signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    xs_must(xa_store_open(&f->st, f->path), "reopen");
}

/* A clerk's `xasync set` and the daemon share the file: two handles on one
 * database never hand out the same seq, and each sees the other's writes. */
static void test_store__two_handles_share_one_database(void **state)
{
    xs_fx *f = *state;
    xa_store *st2 = NULL;
    xa_op o;

    xs_must(xa_store_open(&st2, f->path), "open a second handle");
    assert_true(xa_store_node(st2) == xa_store_node(f->st));
    for (int i = 0; i < 10; i++) {
        xa_store *w = i % 2 ? st2 : f->st;
        char val[16];
        snprintf(val, sizeof val, "%d", i);
        xs_must(xa_store_set(w, SCOPE, ENT, FLD, val, "clerk", 0, &o), "set");
        assert_int_equal(o.seq, i + 1);
        /* the write before, through the other handle, is what this one replaced */
        if (i > 0)
            assert_int_equal(xa_vv_get(&o.ctx, o.node), i);
        xa_op_clear(&o);
    }
    xa_field a = {0}, b = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &a), "get");
    xs_must(xa_store_get(st2, SCOPE, ENT, FLD, &b), "get");
    assert_true(xs_field_equal(&a, &b));
    assert_int_equal(a.n, 1);
    assert_string_equal(a.v[0].value, "9");
    xa_field_clear(&a);
    xa_field_clear(&b);
    xa_store_close(st2);
}

/* A database written by a newer xasync (a schema version this one does not
 * know) is refused, not migrated or written. */
static void test_store__newer_schema_is_refused_unchanged(void **state)
{
    xs_fx *f = *state;
    sqlite3 *db = NULL;
    xa_store *st = NULL;

    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    xa_store_close(f->st);
    f->st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    uint64_t d = xt_db_digest(f->path), fd = xt_file_digest(f->path);

    int rc = xa_store_open(&st, f->path);
    if (rc == 0)
        fail_msg("opened a database of schema version 999");
    assert_null(st);
    assert_true(xt_db_digest(f->path) == d);
    assert_true(xt_file_digest(f->path) == fd);
}

static void test_store__empty_batch_is_a_no_op(void **state)
{
    xs_fx *f = *state;
    xa_apply_result res = {9, 9, 9};
    uint64_t d = xt_db_digest(f->path);

    xs_must(xa_store_apply(f->st, SCOPE, NULL, 0, &res), "apply nothing");
    assert_int_equal(res.applied, 0);
    assert_int_equal(res.duplicates, 0);
    assert_int_equal(res.superseded, 0);
    assert_true(xt_db_digest(f->path) == d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XS_TEST(test_store__reopen_keeps_identity_and_data),
        XS_TEST(test_store__create_draws_a_new_node),
        XS_TEST(test_store__create_refuses_existing_path),
        XS_TEST_DIR(test_store__create_rejects_bad_scope_or_folder),
        XS_TEST_DIR(test_store__open_missing_path_is_notfound_and_not_created),
        XS_TEST_DIR(test_store__open_refuses_files_not_ours_unchanged),
        XS_TEST_DIR(test_store__server_database_holds_many_scopes),
        XS_TEST(test_store__empty_batch_is_a_no_op),
        XS_TEST(test_store__two_handles_share_one_database),
        XS_TEST(test_store__newer_schema_is_refused_unchanged),
        XS_TEST(test_store__out_parameters_need_no_initialising),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
