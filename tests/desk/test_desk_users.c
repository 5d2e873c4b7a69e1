#define _GNU_SOURCE /* memmem */
/*
 * The district desk's people, passwords, sessions, CSRF tokens and login
 * rate limit (server/desk.h), on a real district database made by the real
 * `xasync-district init`, and the `user` commands of the real binary: their
 * messages, exit codes, and that a refused command changes nothing stored.
 */
#include "desk.h"
#include "support.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define PW "mat-khau-xa-2024"
#define T0 ((int64_t)1800000000000)

typedef struct fx {
    char *dir, *db, *pwfile;
    const char *env[2];
    char envdb[600];
} fx;

static xt_run district(fx *f, const char *const *argv)
{
    return xt_district(argv, NULL, f->env);
}

static int64_t xt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "district.db");
    f->pwfile = xt_path(f->dir, "pw");
    xt_write_file(f->pwfile, PW "\n", strlen(PW) + 1);
    snprintf(f->envdb, sizeof(f->envdb), "XASYNC_DISTRICT_DB=%s", f->db);
    f->env[0] = f->envdb;
    f->env[1] = NULL;
    xt_run r = district(f, (const char *[]){"init", NULL});
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = district(f, (const char *[]){"user", "add", "lan", "--role", "officer", "--password-file",
                                     f->pwfile, NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "lan (officer)"));
    xt_run_free(&r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    free(f->db);
    free(f->pwfile);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

static xa_store *open_db(fx *f)
{
    xa_store *st = NULL;
    assert_int_equal(xa_store_open(&st, f->db), 0);
    return st;
}

/* The stored hash: Argon2id, never the password itself. */
static void test_password_hashed(void **state)
{
    fx *f = *state;
    sqlite3 *db;
    sqlite3_stmt *s;

    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT pwhash, role FROM desk_user WHERE name='lan'", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const char *h = (const char *)sqlite3_column_text(s, 0);
    assert_true(strncmp(h, "$argon2id$", 10) == 0);
    assert_null(strstr(h, PW));
    assert_string_equal((const char *)sqlite3_column_text(s, 1), "officer");
    sqlite3_finalize(s);
    sqlite3_close(db);
    size_t n;
    char *raw = xt_read_file(f->db, &n);
    assert_null(memmem(raw, n, PW, strlen(PW)));
    free(raw);
}

/* Every refused `user` command: its message, exit code, nothing stored changed. */
static void test_user_cmd_refusals(void **state)
{
    fx *f = *state;
    char *big = xt_path(f->dir, "big");
    char *empty = xt_path(f->dir, "empty");
    char *bad = xt_path(f->dir, "bad");
    char longpw[XA_DESK_PW_MAX + 10];
    memset(longpw, 'x', sizeof(longpw) - 1);
    longpw[sizeof(longpw) - 1] = '\n';
    xt_write_file(big, longpw, sizeof(longpw));
    xt_write_file(empty, "", 0);
    xt_write_file(bad, "abc\xff\xfe-defgh\n", 12);
    struct {
        const char *argv[9];
        int status;
        const char *msg;
    } cases[] = {
        {{"user", "add", "lan", "--role", "officer", "--password-file", f->pwfile, NULL},
         1,
         "user lan already exists"},
        {{"user", "add", "<b>x</b>", "--role", "officer", "--password-file", f->pwfile, NULL},
         1,
         "a user name is 1 to 64"},
        {{"user", "add", "", "--role", "officer", "--password-file", f->pwfile, NULL},
         1,
         "a user name is 1 to 64"},
        {{"user", "add", "minh", "--role", "chief", "--password-file", f->pwfile, NULL},
         2,
         "--role is officer or admin"},
        {{"user", "add", "minh", "--password-file", f->pwfile, NULL},
         2,
         "usage: xasync-district user add"},
        {{"user", "add", "minh", "--role", "admin", "--password", PW, NULL},
         2,
         "never given on the command line"},
        {{"user", "add", "minh", "--role", "admin", "--password-file", big, NULL},
         1,
         "the password is over 1024 bytes"},
        {{"user", "add", "minh", "--role", "admin", "--password-file", empty, NULL},
         1,
         "a password is 8 to 1024 bytes of UTF-8"},
        {{"user", "add", "minh", "--role", "admin", "--password-file", bad, NULL},
         1,
         "a password is 8 to 1024 bytes of UTF-8"},
        {{"user", "add", "minh", "--role", "admin", "--password-file", "/nonexistent/pw", NULL},
         1,
         "cannot read /nonexistent/pw"},
        {{"user", "disable", "nobody", NULL}, 1, "no user nobody"},
        {{"user", "frobnicate", NULL}, 2, "usage: xasync-district user add"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t before = xt_db_digest(f->db);
        xt_run r = district(f, cases[i].argv);
        if (r.status != cases[i].status || strstr(r.err, cases[i].msg) == NULL)
            fail_msg("case %zu: status %d, stderr: %s", i, r.status, r.err);
        assert_int_equal(xt_db_digest(f->db), before);
        xt_run_free(&r);
    }
    /* no password file and no terminal (a new session: no controlling
     * terminal even when the tests run from one) */
    uint64_t before = xt_db_digest(f->db);
    xt_run r = xt_exec("/usr/bin/setsid",
                       (const char *[]){"-w", XA_DISTRICT_BIN, "--db", f->db, "user", "add", "minh",
                                        "--role", "admin", NULL},
                       NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no terminal to type the password on; use --password-file"));
    assert_int_equal(xt_db_digest(f->db), before);
    xt_run_free(&r);
    free(big);
    free(empty);
    free(bad);
}

static void test_login_session_logout(void **state)
{
    fx *f = *state;
    xa_store *st = open_db(f);
    char tok[65], csrf[65], csrf2[65];
    xa_desk_user u;
    int retry = 0;

    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "10.0.0.5", T0, tok, csrf, &retry,
                                   NULL, NULL, NULL),
                     0);
    assert_int_equal(strlen(tok), 43);
    assert_int_equal(strlen(csrf), 43);
    assert_string_not_equal(tok, csrf);
    assert_int_equal(xa_desk_session(st, tok, T0 + 1000, &u, csrf2), 0);
    assert_string_equal(u.name, "lan");
    assert_string_equal(u.role, "officer");
    assert_string_equal(csrf, csrf2);
    /* CSRF: only the exact token */
    assert_true(xa_desk_csrf_ok(csrf, csrf2));
    csrf2[5] ^= 1;
    assert_false(xa_desk_csrf_ok(csrf, csrf2));
    assert_false(xa_desk_csrf_ok(csrf, ""));
    assert_false(xa_desk_csrf_ok(csrf, NULL));
    assert_false(xa_desk_csrf_ok("", ""));
    /* expiry */
    assert_int_equal(
        xa_desk_session(st, tok, T0 + (int64_t)XA_DESK_SESSION_S * 1000 + 1, &u, csrf2), XA_EAUTH);
    /* an unknown cookie, and one too long */
    assert_int_equal(xa_desk_session(st, "nope", T0, &u, csrf2), XA_EAUTH);
    assert_int_equal(xa_desk_session(st, "", T0, &u, csrf2), XA_EAUTH);
    /* the cookie is stored only as its hash */
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM desk_session WHERE hash = ?1", -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(s, 1, tok, 43, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    /* logout ends it */
    assert_int_equal(xa_desk_logout(st, tok), 0);
    assert_int_equal(xa_desk_session(st, tok, T0 + 1000, &u, csrf2), XA_EAUTH);
    xa_store_close(st);
}

static void test_wrong_password_and_rate_limit(void **state)
{
    fx *f = *state;
    xa_store *st = open_db(f);
    char tok[65], csrf[65];
    int retry = 0;

    /* wrong password, unknown user, empty password: one answer */
    assert_int_equal(xa_desk_login(st, "lan", "wrong-one", 9, "10.0.0.7", T0, tok, csrf, &retry,
                                   NULL, NULL, NULL),
                     XA_EAUTH);
    assert_non_null(strstr(xa_error_last(), "wrong user name or password"));
    assert_int_equal(xa_desk_login(st, "ghost", PW, strlen(PW), "10.0.0.7", T0, tok, csrf, &retry,
                                   NULL, NULL, NULL),
                     XA_EAUTH);
    assert_int_equal(
        xa_desk_login(st, "lan", "", 0, "10.0.0.7", T0, tok, csrf, &retry, NULL, NULL, NULL),
        XA_EAUTH);
    /* per user: after XA_DESK_FAIL_USER failures in the window, even the
     * right password is refused, from any address */
    for (int i = 0; i < XA_DESK_FAIL_USER - 2; i++) /* two counted above */
        assert_int_equal(xa_desk_login(st, "lan", "wrong-one", 9, "10.0.0.8", T0 + i, tok, csrf,
                                       &retry, NULL, NULL, NULL),
                         XA_EAUTH);
    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "10.0.0.9", T0 + 100, tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     XA_EBUSY);
    assert_non_null(strstr(xa_error_last(), "too many failed logins"));
    assert_true(retry > 0 && retry <= XA_DESK_FAIL_WINDOW_S);
    /* once the window has passed, the right password works */
    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "10.0.0.9",
                                   T0 + (int64_t)XA_DESK_FAIL_WINDOW_S * 1000 + 1000, tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     0);
    /* per address: many names tried from one address */
    int64_t t1 = T0 + (int64_t)XA_DESK_FAIL_WINDOW_S * 4000;
    int limited = 0;
    for (int i = 0; i < XA_DESK_FAIL_ADDR + 2; i++) {
        char name[32];
        snprintf(name, sizeof(name), "guess%d", i);
        int rc = xa_desk_login(st, name, "wrong-one", 9, "192.0.2.1", t1 + i, tok, csrf, &retry,
                               NULL, NULL, NULL);
        assert_true(rc == XA_EAUTH || rc == XA_EBUSY);
        if (rc == XA_EBUSY) {
            assert_int_equal(i, XA_DESK_FAIL_ADDR);
            limited = 1;
            break;
        }
    }
    assert_true(limited);
    /* the right password from that address is refused too, from another taken */
    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "192.0.2.1", t1 + 100, tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     XA_EBUSY);
    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "192.0.2.2", t1 + 100, tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     0);
    xa_store_close(st);
}

static void test_disable_ends_sessions(void **state)
{
    fx *f = *state;
    xa_store *st = open_db(f);
    char tok[65], csrf[65];
    xa_desk_user u;
    int retry;

    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "10.0.0.5", xt_now(), tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     0);
    xa_store_close(st);
    xt_run r = district(f, (const char *[]){"user", "disable", "lan", NULL});
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = district(f, (const char *[]){"user", "list", "--json", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"disabled\":\ttrue"));
    xt_run_free(&r);
    st = open_db(f);
    assert_int_equal(xa_desk_session(st, tok, xt_now(), &u, csrf), XA_EAUTH);
    assert_int_equal(xa_desk_login(st, "lan", PW, strlen(PW), "10.0.0.5", xt_now(), tok, csrf,
                                   &retry, NULL, NULL, NULL),
                     XA_EAUTH);
    xa_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_hashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_cmd_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_session_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password_and_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_ends_sessions, setup, teardown),
    };
    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
