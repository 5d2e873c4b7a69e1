/* Small test helpers shared by the suites: util.h. */
#include "util.h"

#include "xasync/vv.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

char *xt_cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

int64_t xt_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void xt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void xt_kill_child(int *pid)
{
    int st;

    if (*pid <= 0)
        return;
    kill((pid_t)*pid, SIGKILL);
    while (waitpid((pid_t)*pid, &st, 0) < 0 && errno == EINTR)
        ;
    *pid = 0;
}

void xt_sb_add(xt_sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;

        while (cap < b->n + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        assert_non_null(p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

sqlite3 *xt_db_open_ro(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_busy_timeout(db, 10000);
    return db;
}

int64_t xt_q_int_db(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
    }
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int64_t xt_q_int(const char *path, const char *sql)
{
    sqlite3 *db = xt_db_open_ro(path);
    int64_t v = xt_q_int_db(db, sql);

    sqlite3_close(db);
    return v;
}

void xt_integrity_ok(const char *path)
{
    sqlite3 *db = xt_db_open_ro(path);
    sqlite3_stmt *s = NULL;
    const char *t;

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        fail_msg("integrity_check of %s: %s", path, sqlite3_errmsg(db));
    t = (const char *)sqlite3_column_text(s, 0);
    if (t == NULL || strcmp(t, "ok") != 0)
        fail_msg("integrity_check of %s: %s", path, t ? t : "(null)");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

void xt_db_backup(const char *src, const char *dst)
{
    sqlite3 *s = NULL, *d = NULL;
    sqlite3_backup *b;
    int rc;

    if (sqlite3_open_v2(src, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("backup: open %s: %s", src, sqlite3_errmsg(s));
    if (sqlite3_open_v2(dst, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_msg("backup: open %s: %s", dst, sqlite3_errmsg(d));
    b = sqlite3_backup_init(d, "main", s, "main");
    if (b == NULL)
        fail_msg("backup: %s", sqlite3_errmsg(d));
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        fail_msg("backup of %s: step gave %d", src, rc);
    sqlite3_close(s);
    sqlite3_close(d);
}

void xt_unlink_db(const char *path)
{
    char side[4200];

    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

char *xt_strdup(const char *s)
{
    char *p = strdup(s);

    assert_non_null(p);
    return p;
}

void xt_mkop(xa_op *op,
             const char *scope,
             xa_node node,
             uint64_t seq,
             const char *entity,
             const char *field,
             const char *value,
             const xa_dot *ctx,
             size_t nctx,
             int64_t hlc,
             const char *author)
{
    memset(op, 0, sizeof *op);
    op->scope = xt_strdup(scope);
    op->node = node;
    op->seq = seq;
    op->entity = xt_strdup(entity);
    op->field = xt_strdup(field);
    op->value = xt_strdup(value);
    op->ctx = (xa_vv)XA_VV_INIT;
    for (size_t i = 0; i < nctx; i++)
        assert_int_equal(xa_vv_set(&op->ctx, ctx[i].node, ctx[i].seq), 0);
    op->hlc = hlc;
    op->author = xt_strdup(author);
}
