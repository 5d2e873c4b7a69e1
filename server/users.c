/*
 * The district desk's people, sessions, failed logins and deadlines
 * (desk.h), in the district database's desk_* tables (schema migration 6).
 * Passwords: libsodium's crypto_pwhash_str (Argon2id, the "interactive"
 * limits); sessions and CSRF tokens: 256 random bits (auth.c), the session
 * kept only as its SHA-256.
 */
#include "desk.h"
#include "district.h"
#include "store_int.h"
#include "xasync/error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prep(xa_store *st, sqlite3_stmt **s, const char *sql)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "reading the desk's users");
}

static int sodium_ready(void)
{
    if (sodium_init() < 0)
        return xa_error_set(XA_EIO, "cannot start libsodium");
    return 0;
}

int xa_desk_name_check(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > XA_DESK_NAME_MAX)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            goto bad;
    }
    return 0;
bad:
    return xa_error_set(XA_EINVAL,
                        "tên người dùng là 1 đến %d ký tự a-z, 0-9, '.', '_', '-' / a user name is "
                        "1 to %d of a-z, 0-9, '.', '_', '-'",
                        XA_DESK_NAME_MAX, XA_DESK_NAME_MAX);
}

int xa_desk_user_add(xa_store *st, const char *name, const char *role, const char *pw, size_t pwlen)
{
    char hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *s = NULL;
    int rc = xa_desk_name_check(name);

    if (rc < 0)
        return rc;
    if (role == NULL || (strcmp(role, "officer") != 0 && strcmp(role, "admin") != 0))
        return xa_error_set(XA_EINVAL, "--role là officer hoặc admin / --role is officer or admin");
    if (pw == NULL || pwlen < XA_DESK_PW_MIN || pwlen > XA_DESK_PW_MAX ||
        !xa_utf8_valid(pw, pwlen) || memchr(pw, '\0', pwlen) != NULL)
        return xa_error_set(XA_EINVAL,
                            "mật khẩu là %d đến %d byte UTF-8 / a password is %d to %d bytes of "
                            "UTF-8",
                            XA_DESK_PW_MIN, XA_DESK_PW_MAX, XA_DESK_PW_MIN, XA_DESK_PW_MAX);
    rc = sodium_ready();
    if (rc < 0)
        return rc;
    if (crypto_pwhash_str(hash, pw, pwlen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return xa_error_set(XA_ENOMEM, "out of memory hashing the password");
    rc = prep(st, &s, "INSERT INTO desk_user(name, role, pwhash, created) VALUES (?1, ?2, ?3, ?4)");
    if (rc == 0) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, xa_now_ms());
        int step = sqlite3_step(s);
        if (step == SQLITE_CONSTRAINT)
            rc = xa_error_set(XA_EEXISTS, "đã có người dùng %s / user %s already exists", name,
                              name);
        else if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "adding a user");
    }
    sqlite3_finalize(s);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

static void user_row(sqlite3_stmt *s, int col, xa_desk_user *u)
{
    const char *name = (const char *)sqlite3_column_text(s, col);
    const char *role = (const char *)sqlite3_column_text(s, col + 1);

    memset(u, 0, sizeof(*u));
    snprintf(u->name, sizeof(u->name), "%s", name ? name : "");
    snprintf(u->role, sizeof(u->role), "%s", role ? role : "");
    u->disabled = sqlite3_column_int(s, col + 2);
    u->created = sqlite3_column_int64(s, col + 3);
}

int xa_desk_users(xa_store *st, xa_desk_user **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    xa_desk_user *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = prep(st, &s, "SELECT name, role, disabled, created FROM desk_user ORDER BY name");
    int step = SQLITE_DONE;

    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (nv == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            xa_desk_user *b = realloc(v, ncap * sizeof(*b));
            if (b == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            v = b;
            cap = ncap;
        }
        user_row(s, 0, &v[nv++]);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "listing users");
    sqlite3_finalize(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

static int exec1(xa_store *st, const char *sql, const char *a, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, sql);

    if (rc == 0) {
        if (a)
            sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, what);
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_desk_user_disable(xa_store *st, const char *name)
{
    int rc = xa_db_exec(st, "BEGIN IMMEDIATE");

    if (rc < 0)
        return rc;
    rc = exec1(st, "UPDATE desk_user SET disabled = 1 WHERE name = ?1", name, "disabling a user");
    if (rc == 0 && sqlite3_changes(st->db) == 0)
        rc = xa_error_set(XA_ENOTFOUND, "không có người dùng %s / no user %s", name ? name : "",
                          name ? name : "");
    if (rc == 0)
        rc = exec1(st, "DELETE FROM desk_session WHERE user = ?1", name, "ending sessions");
    if (rc == 0)
        return xa_db_exec(st, "COMMIT");
    xa_db_rollback(st);
    return rc;
}

/* Failed logins of `who` (kind "user" or "addr") since `since`, and the
 * oldest of them. */
static int
fails(xa_store *st, const char *kind, const char *who, int64_t since, int *n, int64_t *oldest)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "SELECT count(*), coalesce(min(at), 0) FROM desk_fail"
                  " WHERE kind = ?1 AND who = ?2 AND at > ?3");

    *n = 0;
    *oldest = 0;
    if (rc == 0) {
        sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, who, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, since);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            *n = sqlite3_column_int(s, 0);
            *oldest = sqlite3_column_int64(s, 1);
        } else {
            rc = xa_db_error(st, step, "counting failed logins");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

static int fail_put(xa_store *st, const char *kind, const char *who, int64_t now)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "INSERT INTO desk_fail(kind, who, at) VALUES (?1, ?2, ?3)");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, who, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        int step = sqlite3_step(s);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "noting a failed login");
    }
    sqlite3_finalize(s);
    return rc;
}

static void nolock(void *lk)
{
    (void)lk;
}

int xa_desk_login(xa_store *st,
                  const char *name,
                  const char *pw,
                  size_t pwlen,
                  const char *addr,
                  int64_t now,
                  char token[65],
                  char csrf[65],
                  int *retry_s,
                  void (*wlock)(void *),
                  void (*wunlock)(void *),
                  void *lk)
{
    /* Checked when the name is unknown, so that the answer takes as long. */
    static const char dummy_pw[] = "no such user";
    static char dummy[crypto_pwhash_STRBYTES];
    char hash[crypto_pwhash_STRBYTES] = "";
    int64_t window = (int64_t)XA_DESK_FAIL_WINDOW_S * 1000, ou = 0, oa = 0;
    int nu = 0, na = 0, found = 0, disabled = 0, ok, rc;
    const char *who = name && xa_desk_name_check(name) == 0 ? name : "";
    uint8_t th[XA_TOKEN_HASH];

    if (wlock == NULL || wunlock == NULL)
        wlock = wunlock = nolock;
    *retry_s = 0;
    rc = sodium_ready();
    if (rc < 0)
        return rc;
    if (addr == NULL)
        addr = "";
    /* Rate limit first: a limited name or address gets no password check. */
    rc = fails(st, "user", who, now - window, &nu, &ou);
    if (rc == 0)
        rc = fails(st, "addr", addr, now - window, &na, &oa);
    if (rc < 0)
        return rc;
    if (nu >= XA_DESK_FAIL_USER || na >= XA_DESK_FAIL_ADDR) {
        int64_t until = nu >= XA_DESK_FAIL_USER ? ou + window : 0;
        if (na >= XA_DESK_FAIL_ADDR && oa + window > until)
            until = oa + window;
        *retry_s = (int)((until - now + 999) / 1000);
        if (*retry_s < 1)
            *retry_s = 1;
        return xa_error_set(XA_EBUSY,
                            "quá nhiều lần đăng nhập sai; thử lại sau %d phút / too many failed "
                            "logins; try again in %d minutes",
                            (*retry_s + 59) / 60, (*retry_s + 59) / 60);
    }
    if (who[0]) {
        sqlite3_stmt *s = NULL;
        rc = prep(st, &s, "SELECT pwhash, disabled FROM desk_user WHERE name = ?1");
        if (rc == 0) {
            sqlite3_bind_text(s, 1, who, -1, SQLITE_STATIC);
            int step = sqlite3_step(s);
            if (step == SQLITE_ROW) {
                snprintf(hash, sizeof(hash), "%s", (const char *)sqlite3_column_text(s, 0));
                disabled = sqlite3_column_int(s, 1);
                found = 1;
            } else if (step != SQLITE_DONE) {
                rc = xa_db_error(st, step, "reading a user");
            }
        }
        sqlite3_finalize(s);
        if (rc < 0)
            return rc;
    }
    if (!found) {
        if (dummy[0] == '\0' && crypto_pwhash_str(dummy, dummy_pw, sizeof(dummy_pw) - 1,
                                                  crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return xa_error_set(XA_ENOMEM, "out of memory checking a password");
        memcpy(hash, dummy, sizeof(hash));
    }
    ok = pw && pwlen <= XA_DESK_PW_MAX && crypto_pwhash_str_verify(hash, pw, pwlen) == 0 && found &&
         !disabled;
    wlock(lk);
    if (!ok) {
        rc = xa_db_exec(st, "BEGIN IMMEDIATE");
        if (rc == 0)
            rc = fail_put(st, "user", who, now);
        if (rc == 0)
            rc = fail_put(st, "addr", addr, now);
        /* Old failures are of no more use. */
        if (rc == 0) {
            char sql[96];
            snprintf(sql, sizeof(sql), "DELETE FROM desk_fail WHERE at < %lld",
                     (long long)(now - 2 * window));
            rc = xa_db_exec(st, sql);
        }
        if (rc == 0)
            rc = xa_db_exec(st, "COMMIT");
        else
            xa_db_rollback(st);
        wunlock(lk);
        if (rc < 0)
            return rc;
        return xa_error_set(XA_EAUTH, "sai tên hoặc mật khẩu / wrong user name or password");
    }
    rc = xa_token_new(token, th);
    if (rc == 0)
        rc = xa_token_new(csrf, (uint8_t[XA_TOKEN_HASH]){0});
    if (rc == 0)
        rc = xa_db_exec(st, "BEGIN IMMEDIATE");
    if (rc == 0) {
        sqlite3_stmt *s = NULL;
        rc = prep(st, &s,
                  "INSERT INTO desk_session(hash, user, csrf, created, expires)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)");
        if (rc == 0) {
            sqlite3_bind_blob(s, 1, th, XA_TOKEN_HASH, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, who, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, csrf, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, now);
            sqlite3_bind_int64(s, 5, now + (int64_t)XA_DESK_SESSION_S * 1000);
            int step = sqlite3_step(s);
            if (step != SQLITE_DONE)
                rc = xa_db_error(st, step, "starting a session");
        }
        sqlite3_finalize(s);
        if (rc == 0)
            rc = exec1(st, "DELETE FROM desk_fail WHERE kind = 'user' AND who = ?1", who,
                       "clearing failed logins");
        if (rc == 0) {
            char sql[96];
            snprintf(sql, sizeof(sql), "DELETE FROM desk_session WHERE expires < %lld",
                     (long long)now);
            rc = xa_db_exec(st, sql);
        }
        if (rc == 0)
            rc = xa_db_exec(st, "COMMIT");
        else
            xa_db_rollback(st);
    }
    wunlock(lk);
    return rc;
}

int xa_desk_session(xa_store *st, const char *token, int64_t now, xa_desk_user *u, char csrf[65])
{
    uint8_t th[XA_TOKEN_HASH];
    sqlite3_stmt *s = NULL;
    size_t n = token ? strlen(token) : 0;
    int rc;

    if (n == 0 || n > 64)
        return xa_error_set(XA_EAUTH, "no session");
    rc = xa_token_hash(token, n, th);
    if (rc == 0)
        rc = prep(st, &s,
                  "SELECT u.name, u.role, u.disabled, u.created, s.csrf FROM desk_session s"
                  " JOIN desk_user u ON u.name = s.user"
                  " WHERE s.hash = ?1 AND s.expires > ?2 AND u.disabled = 0");
    if (rc == 0) {
        sqlite3_bind_blob(s, 1, th, XA_TOKEN_HASH, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, now);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            user_row(s, 0, u);
            snprintf(csrf, 65, "%s", (const char *)sqlite3_column_text(s, 4));
        } else if (step == SQLITE_DONE) {
            rc = xa_error_set(XA_EAUTH, "no session, or it has expired");
        } else {
            rc = xa_db_error(st, step, "reading a session");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_desk_logout(xa_store *st, const char *token)
{
    uint8_t th[XA_TOKEN_HASH];
    sqlite3_stmt *s = NULL;
    size_t n = token ? strlen(token) : 0;
    int rc;

    if (n == 0 || n > 64)
        return 0;
    rc = xa_token_hash(token, n, th);
    if (rc == 0)
        rc = prep(st, &s, "DELETE FROM desk_session WHERE hash = ?1");
    if (rc == 0) {
        sqlite3_bind_blob(s, 1, th, XA_TOKEN_HASH, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "ending a session");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_desk_csrf_ok(const char *expected, const char *given)
{
    size_t n = expected ? strlen(expected) : 0;

    if (n == 0 || given == NULL || strlen(given) != n)
        return 0;
    return sodium_memcmp(expected, given, n) == 0;
}

int xa_desk_deadline_get(xa_store *st, const char *form, const char *period, int64_t *due)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "SELECT due FROM desk_deadline WHERE form = ?1 AND period = ?2");

    *due = 0;
    if (rc == 0) {
        sqlite3_bind_text(s, 1, form, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW)
            *due = sqlite3_column_int64(s, 0);
        else if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "reading a deadline");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_desk_deadline_set(xa_store *st, const char *form, const char *period, int64_t due)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "INSERT INTO desk_deadline(form, period, due) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT(form, period) DO UPDATE SET due = excluded.due");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, form, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, due);
        int step = sqlite3_step(s);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "setting a deadline");
    }
    sqlite3_finalize(s);
    return rc;
}
