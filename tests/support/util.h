/*
 * Small test helpers shared by the suites (util.c): strings, clocks,
 * children, a growable text, and reading SQLite databases.  Each fails the
 * running cmocka test on error.
 */
#ifndef XA_TEST_UTIL_H
#define XA_TEST_UTIL_H

#include "xasync/store.h"
#include "xasync/vv.h"

#include <stddef.h>
#include <stdint.h>

/* malloc'd a followed by b. */
char *xt_cat2(const char *a, const char *b);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t xt_mono_ms(void);
/* Sleep `ms` milliseconds, through signals. */
void xt_sleep_ms(long ms);
/* Stop a child by its PID: SIGKILL, reap; *pid becomes 0 (nothing if <= 0). */
void xt_kill_child(int *pid);

/* A growable NUL-terminated text; start it as {NULL, 0, 0}, free(p). */
typedef struct xt_sbuf {
    char *p;
    size_t n, cap;
} xt_sbuf;
void xt_sb_add(xt_sbuf *b, const char *s, size_t n);

/* An SQLite database opened read-only, with a 10 s busy timeout. */
struct sqlite3;
struct sqlite3 *xt_db_open_ro(const char *path);
/* The first column of the first row of `sql`. */
int64_t xt_q_int_db(struct sqlite3 *db, const char *sql);
/* The same on the database at `path`. */
int64_t xt_q_int(const char *path, const char *sql);
/* PRAGMA integrity_check of the database at `path` says "ok". */
void xt_integrity_ok(const char *path);
/* Copy a live database with the online backup API (what `sqlite3 DB
 * ".backup COPY"` does): a consistent copy, WAL included. */
void xt_db_backup(const char *src, const char *dst);
/* Remove a database file and its -wal and -shm files. */
void xt_unlink_db(const char *path);

/* strdup that fails the test when out of memory. */
char *xt_strdup(const char *s);
/* Fill `op` (zeroed first) with copies of the given parts, its context the
 * `nctx` dots of `ctx`; the strings are malloc'd, for xa_op_clear. */
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
             const char *author);

#endif
