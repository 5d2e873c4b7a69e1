/*
 * Test support: temporary folders, running the real `xasync` binary, and a
 * digest of a database's logical content (to prove "unchanged").
 */
#ifndef XA_TEST_SUPPORT_H
#define XA_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Make a fresh temporary folder under $TMPDIR (or /tmp); returns a malloc'd
 * path.  Aborts the test on failure. */
char *xt_tempdir(void);
/* Remove a folder made by xt_tempdir() and everything in it; frees `dir`. */
void xt_rmdir(char *dir);
/* malloc'd "dir/name". */
char *xt_path(const char *dir, const char *name);

/* The result of running a program. */
typedef struct xt_run {
    int status; /* exit code, or 128+signal if killed */
    char *out;  /* everything written to stdout, NUL-terminated */
    size_t outlen;
    char *err; /* everything written to stderr, NUL-terminated */
    size_t errlen;
} xt_run;

/* Run XA_BIN (the xasync built with the tests) with argv (NULL-terminated,
 * not including the program name), `in` (may be NULL) as standard input, and
 * the environment plus `env` ("NAME=value" strings, NULL-terminated, may be
 * NULL).  XASYNC_DB is removed from the environment unless `env` sets it.
 * Waits at most 60 s (then kills it and fails the test). */
xt_run xt_xasync(const char *const *argv, const char *in, const char *const *env);
/* Same for any program path. */
xt_run xt_exec(const char *prog, const char *const *argv, const char *in, const char *const *env);
void xt_run_free(xt_run *r);

/* Run XA_DISTRICT_BIN (xasync-district) like xt_xasync. */
xt_run xt_district(const char *const *argv, const char *in, const char *const *env);

/* A server process the test started: stopped and reaped by PID. */
typedef struct xt_server {
    int pid;   /* 0: not running */
    int port;  /* the port it printed */
    char *log; /* path of its stderr, malloc'd */
} xt_server;

/* Start `xasync-district --db DB serve --listen 127.0.0.1:0` plus `extra`
 * (NULL-terminated, may be NULL) and wait (10 s at most) for it to print
 * its port.  Fails the test if it does not start. */
void xt_server_start(xt_server *s, const char *db, const char *const *extra);
/* Send `sig` (SIGTERM: wait up to 10 s for a clean exit, then SIGKILL),
 * reap it; returns its exit status (128+signal if killed). */
int xt_server_stop(xt_server *s, int sig);

/* A district database at dir/district.db with communes `scopes` (NULL-
 * terminated); each commune's token is written to dir/<scope>.token and a
 * district-wide token to dir/district.token.  Returns the db path
 * (malloc'd). */
char *xt_district_setup(const char *dir, const char *const *scopes);

/* A PC database at `db` for `scope`, with remote http://127.0.0.1:PORT and
 * token file dir/<scope>.token. */
void xt_pc_setup(const char *dir, const char *db, const char *scope, int port);

/* A SHA-like digest (FNV-1a 64 over a canonical dump) of every table of the
 * SQLite database at `path`, rows in primary-key order, opened read-only.
 * Two equal digests mean the same logical content.  Returns 0 if the file is
 * missing. */
uint64_t xt_db_digest(const char *path);
/* FNV-1a 64 of a file's raw bytes; 0 if missing. */
uint64_t xt_file_digest(const char *path);

/* Write `len` bytes of `data` to a new file at `path`. */
void xt_write_file(const char *path, const char *data, size_t len);
/* Read a whole file; malloc'd and NUL-terminated; NULL if missing. */
char *xt_read_file(const char *path, size_t *len);

/* Copy a PC's database from `from` to `to` the way a disk image put back
 * (or a cloned disk on an identical machine) would: the file and the record
 * beside it (`<db>-node`) as if `to` had always been its place, so the copy
 * keeps its node id and only the detection where copies meet can tell
 * (storage/incarnation.c).  `to`'s -wal and -shm are removed. */
void xt_copy_db_image(const char *from, const char *to);
/* The record part of that alone, for a copy made another way. */
void xt_copy_db_marker(const char *from, const char *to);
/* Copy only the database file (what `cp`, a backup tool or `sqlite3
 * .backup` does): the copy takes a new node id when it is next opened. */
void xt_copy_db_file(const char *from, const char *to);

/* Skip the running test, saying why, and remember it: xt_tests_status()
 * then makes the suite exit 77, which ctest reports as skipped
 * (SKIP_RETURN_CODE in tests/CMakeLists.txt), so a skip never shows as a
 * pass.  Does not return. */
#define xt_skip(why) xt_skip_at((why), __FILE__, __LINE__)
void xt_skip_at(const char *why, const char *file, int line);
/* A suite's exit status from what cmocka_run_group_tests() returned: 1 if a
 * test failed, else 77 if one was skipped, else 0. */
int xt_tests_status(int failed);

#endif
