/*
 * The district desk: the web page for district officers (desk.c) and its
 * people, sessions and failed logins (users.c), in the district database
 * (schema migration 6).
 *
 * Invariants:
 *   1. a password is kept only as libsodium's crypto_pwhash_str (Argon2id);
 *   2. a session is kept only as the SHA-256 of its cookie, with its CSRF
 *      token and its expiry; a disabled user's sessions end at once;
 *   3. past XA_DESK_FAIL_USER failed logins for one name, or
 *      XA_DESK_FAIL_ADDR from one address, in XA_DESK_FAIL_WINDOW_S, a
 *      login is refused without looking at the password until the window
 *      has passed.
 */
#ifndef XA_SERVER_DESK_H
#define XA_SERVER_DESK_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

#define XA_DESK_NAME_MAX 64
#define XA_DESK_PW_MIN 8
#define XA_DESK_PW_MAX 1024
#define XA_DESK_SESSION_S (8 * 3600) /* a working day */
#define XA_DESK_FAIL_USER 5
#define XA_DESK_FAIL_ADDR 20
#define XA_DESK_FAIL_WINDOW_S (15 * 60)

typedef struct xa_desk_user {
    char name[XA_DESK_NAME_MAX + 1];
    char role[16]; /* officer | admin */
    int disabled;
    int64_t created; /* ms */
} xa_desk_user;

/* A user name: 1 to 64 of a-z A-Z 0-9 . _ - (XA_EINVAL, in both languages). */
int xa_desk_name_check(const char *name);

/* XA_EEXISTS for a name taken; XA_EINVAL for a bad name, role or password
 * (XA_DESK_PW_MIN to XA_DESK_PW_MAX bytes of UTF-8). */
int xa_desk_user_add(
    xa_store *st, const char *name, const char *role, const char *pw, size_t pwlen);
/* Every user, by name; *out is the caller's (free()). */
int xa_desk_users(xa_store *st, xa_desk_user **out, size_t *n);
/* Disable a user and end its sessions (XA_ENOTFOUND if no such user). */
int xa_desk_user_disable(xa_store *st, const char *name);

/* Log in at `now` (ms) from `addr`: a new session, its cookie value
 * (`token`, 43 characters) and CSRF token.  XA_EAUTH for a wrong name or
 * password (or a disabled user: the same answer), XA_EBUSY when
 * rate-limited (*retry_s: seconds until a try is taken again).  The
 * password is checked outside `wlock` (may be NULL); the writes inside. */
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
                  void *lk);

/* The session of a cookie value at `now`: XA_EAUTH if unknown, expired, or
 * its user disabled. */
int xa_desk_session(xa_store *st, const char *token, int64_t now, xa_desk_user *u, char csrf[65]);
/* End a session (nothing if unknown). */
int xa_desk_logout(xa_store *st, const char *token);

/* 1 if `given` is the session's CSRF token (compared in constant time). */
int xa_desk_csrf_ok(const char *expected, const char *given);

/* The deadline the district set for a form and period (ms; 0 if none). */
int xa_desk_deadline_get(xa_store *st, const char *form, const char *period, int64_t *due);
int xa_desk_deadline_set(xa_store *st, const char *form, const char *period, int64_t due);

/* `user ...` and `deadline set ...` (desk_cmd.c): the exit code, or -1 when
 * the command line is not one of them. */
int xa_desk_cmd(int argc, char **argv);

/* ---- the page (desk.c) -------------------------------------------------- */

typedef struct xa_desk_req {
    const char *method, *path;
    const char *const *args;                        /* GET arguments: key, value, ..., NULL */
    const char *session, *login_cookie, *lang;      /* cookies: xa_desk, xa_login, xa_lang */
    const char *origin, *fetch_site, *host, *ctype; /* headers ("" when absent) */
    const char *addr;                               /* the client's address, printed */
    int tls;
    const char *body;
    size_t bodylen;
} xa_desk_req;

typedef struct xa_desk_resp {
    unsigned status;
    const char *ctype;
    char *body; /* malloc'd */
    size_t len;
    char headers[1024]; /* extra "Name: value\n" lines */
} xa_desk_resp;

/* Answer one request under /desk/ (or `/`) with the worker's own handle.
 * `wlock`/`wunlock` (with `lk`) wrap every write. */
void xa_desk_handle(xa_store *st,
                    const xa_desk_req *q,
                    xa_desk_resp *r,
                    void (*wlock)(void *),
                    void (*wunlock)(void *),
                    void *lk);

/* Check every report of the district's last form and latest period and make
 * its rollup, so that an officer who opens the page does not wait for them
 * (the server runs it at start, and a second after syncs have brought ops,
 * with a handle of its own; only changed communes are checked again). */
void xa_desk_warm(xa_store *st);

#endif
