/*
 * The sync's test harness (tests/sync/test_sync_*.c): the real
 * `xasync-district` on a loopback port chosen by the OS, and real `xasync`
 * processes against it (docs/design.md, "The protocol: one round trip per
 * sync").
 *
 * Cast: two office PCs of commune hoang-kim (A: a.db, B: b.db) and one PC of
 * commune hoang-phu (C: c.db), each with its commune's token.  Every test
 * has its own temporary folder, district database and server; servers and
 * helper processes are stopped by PID in the teardown, which cmocka runs
 * also when a test fails.
 *
 * Bulk edits (hundreds, thousands) are written through the store's own
 * xa_store_set() in this process, the function `xasync set` calls, so the
 * tests stay fast; the few edits a test reasons about go through `xasync
 * set`.  Every sync runs the real `xasync sync`.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_SYNCFX_H
#define XA_TEST_SYNCFX_H

#include "proxy_ctl.h"
#include "support.h"
#include "util.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define KIM "hoang-kim"
#define PHU "hoang-phu"
#define AUTHOR "Lê Thị Lan"
#define AUTHOR_B "Nguyễn Văn Bình"
#define HTTP_MAX ((size_t)4 * 1024 * 1024)
#define WAIT_MS 60000

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct xy_fx {
    char *dir;
    char *home; /* "HOME=dir" */
    char *ddb;  /* dir/district.db */
    char *a;    /* dir/a.db: office PC A of hoang-kim */
    char *b;    /* dir/b.db: office PC B of hoang-kim */
    char *c;    /* dir/c.db: PC C of hoang-phu */
    xt_server srv;
    xt_proxy proxy;
    int portal_pid; /* the fake captive portal, 0 if none */
    int bg_pid;     /* a background `xasync sync`, 0 if none */
} xy_fx;

int xy_setup(void **state);

int xy_teardown(void **state);

xt_run xy_xa(const xy_fx *f, const char *const *argv);

#define XA(f, ...) xy_xa((f), ARGV(__VA_ARGS__))

xt_run xy_district(const xy_fx *f, const char *const *argv);

void xy_ok_at(const xt_run *r, const char *what, const char *file, int line);

#define MUST_OK(r, what) xy_ok_at(&(r), (what), __FILE__, __LINE__)

/* Run `xasync --db DB ...` that must succeed; return its stdout (caller
 * frees). */
char *xy_xa_out_at(const xy_fx *f, const char *const *argv, const char *file, int line);

#define XA_OUT(f, ...) xy_xa_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync set` of one field through the real command. */
void xy_set_at(
    const xy_fx *f, const char *db, const char *ent, const char *fld, const char *val, int line);

#define SET(f, db, ent, fld, val) xy_set_at((f), (db), (ent), (fld), (val), __LINE__)

/* The counts of a successful sync's "synced: sent N ops, received M ops"
 * line. */
typedef struct xy_synced {
    unsigned long long sent, received;
    unsigned long long snap; /* fields received as a snapshot (a fresh PC) */
} xy_synced;

xy_synced xy_parse_synced_at(const xt_run *r, const char *file, int line);

/* Run `xasync sync` on `db`: exit 0, and the counts it printed. */
xy_synced xy_sync_ok_at(const xy_fx *f, const char *db, const char *file, int line);

#define SYNC_OK(f, db) xy_sync_ok_at((f), (db), __FILE__, __LINE__)

/* Run `xasync sync` on `db`, require exit 0 and exactly these counts. */
void xy_sync_expect_at(const xy_fx *f,
                       const char *db,
                       unsigned long long sent,
                       unsigned long long received,
                       const char *file,
                       int line);

#define SYNC_EXPECT(f, db, sent, received)                                                         \
    xy_sync_expect_at((f), (db), (sent), (received), __FILE__, __LINE__)

/* `xasync status --json`, parsed (caller deletes). */
cJSON *xy_status_json(const xy_fx *f, const char *db);

double xy_status_pending(const xy_fx *f, const char *db);

/* A JSON document as text: for comparing two states exactly. */
char *xy_json_trimmed(char *s);

/* Two PCs hold the same version vector (`xasync have`). */
void xy_same_have_at(const xy_fx *f, const char *da, const char *db, int line);

#define same_have(f, da, db) xy_same_have_at((f), (da), (db), __LINE__)

/* The open conflicts the district counts for a commune
 * (`xasync-district communes --json`). */
int xy_district_conflicts(const xy_fx *f, const char *scope);

/* `xasync show --json` of a PC (caller frees). */
char *xy_pc_state(const xy_fx *f, const char *db);

/* `xasync-district show SCOPE --json` (caller frees). */
char *xy_server_state(const xy_fx *f, const char *scope);

cJSON *xy_parse_array(const char *text);

/* The field (entity, field) of a parsed state, or NULL. */
cJSON *xy_find_field(cJSON *state, const char *entity, const char *field);

/* The values of a field object, as the JSON strings they hold. */
int xy_field_values(cJSON *fieldobj, const char **vals, int max);

/* Check that `state` holds (entity, field) with exactly one value `want`. */
void xy_expect_value_at(cJSON *state, const char *ent, const char *fld, const char *want, int line);

#define EXPECT_VALUE(state, ent, fld, want)                                                        \
    xy_expect_value_at((state), (ent), (fld), (want), __LINE__)

int64_t xy_journal_count(const char *path, const char *scope);

/* A replica's node id, as stored in its meta table. */
xa_node xy_node_of(const char *path);

int64_t xy_node_count(const char *path, const char *scope, xa_node node);

/* Every op of `scope` in a journal, one line each, by (node, seq): two equal
 * dumps mean the same dots with the same content.  Caller frees. */
char *xy_journal_dump(const char *path, const char *scope, size_t *rows);

/* The first line where two dumps differ, for the failure message. */
void xy_same_journal_at(const char *pa, const char *pb, const char *scope, int line);

#define SAME_JOURNAL(pa, pb, scope) xy_same_journal_at((pa), (pb), (scope), __LINE__)

/* Every op `sub` holds, `full` holds the same (a PC started from a snapshot
 * holds the current ops, not the whole history).  Both dumps are in the
 * same (node, seq) order, so one walk does. */
void xy_journal_within_at(const char *sub, const char *full, const char *scope, int line);

#define JOURNAL_WITHIN(sub, full, scope) xy_journal_within_at((sub), (full), (scope), __LINE__)

/* What a PC believes the server holds (its one acked row; caller frees). */
char *xy_acked_text(const char *path);

void xy_bulk_value(char *out, size_t cap, const char *prefix, int i);

void xy_bulk_entity(char *out, size_t cap, const char *prefix, int i);

/* Edits prefix-00001 .. prefix-N, field "text", through xa_store_set (what
 * `xasync set` calls), with no xasync process running on `path`. */
void xy_bulk_set(const char *path, const char *prefix, int n);

/* Check that a parsed state holds prefix-1..n, each with its one value. */
void xy_expect_bulk(cJSON *state, const char *prefix, int n);

/* Every field of a parsed state has exactly one value. */
void xy_expect_no_conflict(cJSON *state);

void xy_remote_set(const xy_fx *f, const char *db, const char *token_scope, int port);

int xy_connect_local(int port);

/* GET `path` with a Bearer token; returns the status, *body the whole
 * answer (headers and body; caller frees).  Bounded in time and size. */
int xy_http_get(int port, const char *path, const char *token, char **body);

char *xy_read_token(const xy_fx *f, const char *scope);

/* Start the fake captive portal on 127.0.0.1:0; returns its port. */
int xy_portal_start(xy_fx *f);

/* Start `xasync --db DB sync` in the background, its output to files. */
int xy_sync_background(xy_fx *f, const char *db);

/* Wait (bounded) for the background sync; returns its exit status. */
int xy_wait_background(xy_fx *f);

/* Copy a live SQLite database with the online backup API (xt_db_backup),
 * and the record beside it (xt_copy_db_marker), as a disk image holds it. */
void xy_db_backup(const char *src, const char *dst);

/* The number of values (siblings) in a parsed state. */
int xy_count_values(cJSON *state);

/* A fresh PC's first sync got everything: either the history (every op),
 * or a snapshot of the state (docs/design.md: "It then holds every op up to that
 * vector in effect") plus any history past it.  Either way, what it
 * reports matches what its journal gained, and it holds the same version
 * vector and state as `ref`. */
void xy_fresh_sync_at(const xy_fx *f, const char *db, const char *ref, int line);

#define FRESH_SYNC(f, db, ref) xy_fresh_sync_at((f), (db), (ref), __LINE__)

/* A cmocka test with the fixture above. */
#define XY_TEST(name) cmocka_unit_test_setup_teardown(name, xy_setup, xy_teardown)

#endif
