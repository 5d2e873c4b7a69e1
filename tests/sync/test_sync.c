/*
 * Integration tests of the sync: the real `xasync-district` on a loopback
 * port chosen by the OS, and real `xasync` processes against it (docs/design.md,
 * "The protocol: one round trip per sync").
 *
 * Cast: two office PCs of commune hoang-kim (A: a.db, B: b.db) and one PC of
 * commune hoang-phu (C: c.db), each with its commune's token.  Every test
 * has its own temporary folder, district database and server; servers and
 * helper processes are stopped by PID in the teardown, which cmocka runs
 * also when a test fails.
 *
 * What must hold:
 *   1. A sync moves every op once: the server's journal and the PC's hold
 *      the same rows (same dots, same content), and `status` counts nothing
 *      waiting afterwards.
 *   2. A sync sends only what the server lacks and fetches only what the PC
 *      lacks; a sync with nothing new sends and receives nothing.
 *   3. Concurrent edits of one field become a conflict on every replica,
 *      shown with both values (exit 3), until a person resolves it.
 *   4. A response lost after the server committed costs nothing: the same
 *      ops go again and are held once.
 *   5. A server killed (SIGKILL) in the middle of a sync loses nothing and
 *      holds nothing twice; its database passes PRAGMA integrity_check.
 *   6. A commune's token neither reads nor writes another commune's data.
 *   7. A PC restored from an old copy of its database never forges a dot: it
 *      takes a new node id for its unsent edits, and every edit survives.
 *   8. An answer that is not the district server's (a captive portal's
 *      login page) is never taken as an acknowledgement.
 *   9. A sync of many round trips runs on one kept-alive connection, and
 *      the bytes it reports are the bytes on the wire (the fault-injecting
 *      proxy counts them).
 *  10. Answers are bounded: a backlog larger than one answer may carry
 *      (values near the 64 KiB limit) still reaches a PC.
 *
 * Bulk edits (hundreds, thousands) are written through the store's own
 * xa_store_set() in this process, the function `xasync set` calls, so the
 * tests stay fast; the few edits a test reasons about go through `xasync
 * set`.  Every sync runs the real `xasync sync`.
 */
#include "proxy_ctl.h"
#include "support.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

#define KIM "hoang-kim"
#define PHU "hoang-phu"
#define AUTHOR "Lê Thị Lan"
#define AUTHOR_B "Nguyễn Văn Bình"

#define HTTP_MAX ((size_t)4 * 1024 * 1024)
#define WAIT_MS 60000

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */

typedef struct fx {
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
} fx;

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    *state = f;
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    f->a = xt_path(f->dir, "a.db");
    f->b = xt_path(f->dir, "b.db");
    f->c = xt_path(f->dir, "c.db");
    f->ddb = xt_district_setup(f->dir, ARGV(KIM, PHU));
    xt_server_start(&f->srv, f->ddb, NULL);
    xt_pc_setup(f->dir, f->a, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->b, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->c, PHU, f->srv.port);
    return 0;
}

/* Stop a child by its PID: SIGKILL, reap. */
static void kill_child(int *pid)
{
    int st;

    if (*pid <= 0)
        return;
    kill((pid_t)*pid, SIGKILL);
    while (waitpid((pid_t)*pid, &st, 0) < 0 && errno == EINTR)
        ;
    *pid = 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f == NULL)
        return 0;
    kill_child(&f->bg_pid);
    kill_child(&f->portal_pid);
    if (f->proxy.pid > 0)
        xt_proxy_stop(&f->proxy);
    xt_server_stop(&f->srv, SIGTERM);
    free(f->a);
    free(f->b);
    free(f->c);
    free(f->ddb);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Running the programs                                                    */

static xt_run xa(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_xasync(argv, NULL, env);
}

#define XA(f, ...) xa((f), ARGV(__VA_ARGS__))

static xt_run district(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

static void ok_at(const xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: expected exit 0, got %d\nstdout: [%s]\nstderr: [%s]", file, line, what,
                 r->status, r->out, r->err);
}
#define MUST_OK(r, what) ok_at(&(r), (what), __FILE__, __LINE__)

/* Run `xasync --db DB ...` that must succeed; return its stdout (caller
 * frees). */
static char *xa_out_at(const fx *f, const char *const *argv, const char *file, int line)
{
    xt_run r = xa(f, argv);
    char *out;

    ok_at(&r, argv[2], file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}
#define XA_OUT(f, ...) xa_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync set` of one field through the real command. */
static void
set_at(const fx *f, const char *db, const char *ent, const char *fld, const char *val, int line)
{
    char *out =
        xa_out_at(f, ARGV("--db", db, "set", ent, fld, val, "--author", AUTHOR), __FILE__, line);
    free(out);
}
#define SET(f, db, ent, fld, val) set_at((f), (db), (ent), (fld), (val), __LINE__)

/* The counts of a successful sync's "synced: sent N ops, received M ops"
 * line. */
typedef struct synced {
    unsigned long long sent, received;
    unsigned long long snap; /* fields received as a snapshot (a fresh PC) */
} synced;

static synced parse_synced_at(const xt_run *r, const char *file, int line)
{
    synced s = {0, 0, 0};
    const char *p = strstr(r->out, "first sync: received the state of ");

    if (p != NULL && sscanf(p, "first sync: received the state of %llu fields", &s.snap) != 1)
        fail_msg("%s:%d: a malformed snapshot line in [%s]", file, line, r->out);
    p = strstr(r->out, "synced: sent ");
    if (p == NULL ||
        sscanf(p, "synced: sent %llu ops, received %llu ops", &s.sent, &s.received) != 2)
        fail_msg("%s:%d: no 'synced: sent N ops, received M ops' line in [%s] (stderr [%s])", file,
                 line, r->out, r->err);
    return s;
}

/* Run `xasync sync` on `db`: exit 0, and the counts it printed. */
static synced sync_ok_at(const fx *f, const char *db, const char *file, int line)
{
    xt_run r = xa(f, ARGV("--db", db, "sync"));
    synced s;

    ok_at(&r, "sync", file, line);
    s = parse_synced_at(&r, file, line);
    xt_run_free(&r);
    return s;
}
#define SYNC_OK(f, db) sync_ok_at((f), (db), __FILE__, __LINE__)

/* Run `xasync sync` on `db`, require exit 0 and exactly these counts. */
static void sync_expect_at(const fx *f,
                           const char *db,
                           unsigned long long sent,
                           unsigned long long received,
                           const char *file,
                           int line)
{
    synced s = sync_ok_at(f, db, file, line);

    if (s.sent != sent || s.received != received)
        fail_msg("%s:%d: sync of %s: expected sent %llu, received %llu; got sent %llu, "
                 "received %llu",
                 file, line, db, sent, received, s.sent, s.received);
}
#define SYNC_EXPECT(f, db, sent, received)                                                         \
    sync_expect_at((f), (db), (sent), (received), __FILE__, __LINE__)

/* `xasync status --json`, parsed (caller deletes). */
static cJSON *status_json(const fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "status", "--json");
    cJSON *j = cJSON_Parse(out);

    if (j == NULL || !cJSON_IsObject(j))
        fail_msg("status --json is not a JSON object: [%s]", out);
    free(out);
    return j;
}

static double status_pending(const fx *f, const char *db)
{
    cJSON *j = status_json(f, db);
    cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pending");
    double v;

    if (!cJSON_IsNumber(p))
        fail_msg("status --json has no number 'pending'");
    v = p->valuedouble;
    cJSON_Delete(j);
    return v;
}

/* A JSON document as text: for comparing two states exactly. */
static char *json_trimmed(char *s)
{
    size_t n = strlen(s);

    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

/* Two PCs hold the same version vector (`xasync have`). */
static void same_have_at(const fx *f, const char *da, const char *db, int line)
{
    char *ha = XA_OUT(f, "--db", da, "have", "--json"),
         *hb = XA_OUT(f, "--db", db, "have", "--json");

    if (strcmp(ha, hb) != 0)
        fail_msg("%s:%d: version vectors differ:\n  %s: %s\n  %s: %s", __FILE__, line, da, ha, db,
                 hb);
    free(ha);
    free(hb);
}
#define same_have(f, da, db) same_have_at((f), (da), (db), __LINE__)

static cJSON *parse_array(const char *text);

/* The open conflicts the district counts for a commune
 * (`xasync-district communes --json`). */
static int district_conflicts(const fx *f, const char *scope)
{
    xt_run r = district(f, ARGV("--db", f->ddb, "communes", "--json"));
    cJSON *j, *it;
    int n = -1;

    MUST_OK(r, "xasync-district communes");
    j = parse_array(r.out);
    cJSON_ArrayForEach(it, j)
    {
        cJSON *sc = cJSON_GetObjectItemCaseSensitive(it, "scope");
        cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "conflicts");

        if (cJSON_IsString(sc) && strcmp(sc->valuestring, scope) == 0 && cJSON_IsNumber(c))
            n = c->valueint;
    }
    cJSON_Delete(j);
    if (n < 0)
        fail_msg("communes --json has no conflict count for %s: [%s]", scope, r.out);
    xt_run_free(&r);
    return n;
}

/* `xasync show --json` of a PC (caller frees). */
static char *pc_state(const fx *f, const char *db)
{
    return json_trimmed(XA_OUT(f, "--db", db, "show", "--json"));
}

/* `xasync-district show SCOPE --json` (caller frees). */
static char *server_state(const fx *f, const char *scope)
{
    xt_run r = district(f, ARGV("--db", f->ddb, "show", scope, "--json"));
    char *out;

    MUST_OK(r, "xasync-district show");
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return json_trimmed(out);
}

static cJSON *parse_array(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (j == NULL || !cJSON_IsArray(j))
        fail_msg("not a JSON array: [%.300s]", text);
    return j;
}

/* The field (entity, field) of a parsed state, or NULL. */
static cJSON *find_field(cJSON *state, const char *entity, const char *field)
{
    cJSON *it;

    cJSON_ArrayForEach(it, state)
    {
        cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "entity");
        cJSON *fl = cJSON_GetObjectItemCaseSensitive(it, "field");

        if (cJSON_IsString(e) && cJSON_IsString(fl) && strcmp(e->valuestring, entity) == 0 &&
            strcmp(fl->valuestring, field) == 0)
            return it;
    }
    return NULL;
}

/* The values of a field object, as the JSON strings they hold. */
static int field_values(cJSON *fieldobj, const char **vals, int max)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(fieldobj, "values"), *v;
    int n = 0;

    if (!cJSON_IsArray(arr))
        fail_msg("a field without 'values'");
    cJSON_ArrayForEach(v, arr)
    {
        cJSON *val = cJSON_GetObjectItemCaseSensitive(v, "value");

        if (n >= max)
            fail_msg("a field with more than %d values", max);
        vals[n++] = cJSON_IsString(val) ? val->valuestring : "(not a string)";
    }
    return n;
}

/* Check that `state` holds (entity, field) with exactly one value `want`. */
static void
expect_value_at(cJSON *state, const char *ent, const char *fld, const char *want, int line)
{
    cJSON *fo = find_field(state, ent, fld);
    const char *vals[8];
    int n;

    if (fo == NULL)
        fail_msg("%s:%d: %s %s is missing", __FILE__, line, ent, fld);
    n = field_values(fo, vals, 8);
    if (n != 1 || strcmp(vals[0], want) != 0)
        fail_msg("%s:%d: %s %s: expected the one value [%s], got %d value(s), first [%s]", __FILE__,
                 line, ent, fld, want, n, n ? vals[0] : "");
}
#define EXPECT_VALUE(state, ent, fld, want) expect_value_at((state), (ent), (fld), (want), __LINE__)

/* ---------------------------------------------------------------------- */
/* Looking into the databases                                              */

static sqlite3 *db_open_ro(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_busy_timeout(db, 10000);
    return db;
}

static int64_t q_int_db(sqlite3 *db, const char *sql)
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

/* The first column of the first row of `sql` on the database at `path`. */
static int64_t q_int(const char *path, const char *sql)
{
    sqlite3 *db = db_open_ro(path);
    int64_t v = q_int_db(db, sql);

    sqlite3_close(db);
    return v;
}

static int64_t journal_count(const char *path, const char *scope)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE scope = '%s'", scope);
    return q_int(path, sql);
}

/* A replica's node id, as stored in its meta table. */
static xa_node node_of(const char *path)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    xa_node n = 0;

    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'node'", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW ||
        xa_node_parse((const char *)sqlite3_column_text(s, 0), &n) != 0)
        fail_msg("%s: no node id in meta", path);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static int64_t node_count(const char *path, const char *scope, xa_node node)
{
    char sql[200];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE scope = '%s' AND node = %lld",
             scope, (long long)node);
    return q_int(path, sql);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
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

/* Every op of `scope` in a journal, one line each, by (node, seq): two equal
 * dumps mean the same dots with the same content.  Caller frees. */
static char *journal_dump(const char *path, const char *scope, size_t *rows)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    sbuf b = {NULL, 0, 0};
    size_t n = 0;
    int rc;

    sb_add(&b, "", 0);
    if (sqlite3_prepare_v2(db,
                           "SELECT printf('%016x|%d|%s|%s|%s|%s|%d|%s', node, seq, entity, field,"
                           " value, ctx, hlc, author) FROM journal WHERE scope = ?1"
                           " ORDER BY node, seq",
                           -1, &s, NULL) != SQLITE_OK)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sb_add(&b, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        sb_add(&b, "\n", 1);
        n++;
    }
    if (rc != SQLITE_DONE)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rows)
        *rows = n;
    return b.p;
}

/* The first line where two dumps differ, for the failure message. */
static void same_journal_at(const char *pa, const char *pb, const char *scope, int line)
{
    size_t na = 0, nb = 0;
    char *a = journal_dump(pa, scope, &na), *b = journal_dump(pb, scope, &nb);

    if (strcmp(a, b) != 0) {
        size_t i = 0, ls = 0;

        while (a[i] && a[i] == b[i]) {
            if (a[i] == '\n')
                ls = i + 1;
            i++;
        }
        fail_msg("%s:%d: the journals of %s (%zu ops) and %s (%zu ops) differ; first "
                 "difference:\n  %.200s\n  %.200s",
                 __FILE__, line, pa, na, pb, nb, a + ls, b + ls);
    }
    free(a);
    free(b);
}
#define SAME_JOURNAL(pa, pb, scope) same_journal_at((pa), (pb), (scope), __LINE__)

/* Every op `sub` holds, `full` holds the same (a PC started from a snapshot
 * holds the current ops, not the whole history).  Both dumps are in the
 * same (node, seq) order, so one walk does. */
static void journal_within_at(const char *sub, const char *full, const char *scope, int line)
{
    size_t ns = 0, nf = 0;
    char *a = journal_dump(sub, scope, &ns), *b = journal_dump(full, scope, &nf);
    const char *p = a, *q = b;

    while (*p) {
        const char *pe = strchr(p, '\n');
        size_t len = (size_t)(pe - p) + 1;

        while (*q && !(strncmp(q, p, len) == 0))
            q = strchr(q, '\n') + 1;
        if (*q == '\0')
            fail_msg("%s:%d: %s holds an op that %s does not hold as it is:\n  %.*s", __FILE__,
                     line, sub, full, (int)len - 1, p);
        q += len;
        p += len;
    }
    free(a);
    free(b);
}
#define JOURNAL_WITHIN(sub, full, scope) journal_within_at((sub), (full), (scope), __LINE__)

/* What a PC believes the server holds (its one acked row; caller frees). */
static char *acked_text(const char *path)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    char *out;

    if (sqlite3_prepare_v2(db, "SELECT have FROM acked", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        fail_msg("no acked row in %s: %s", path, sqlite3_errmsg(db));
    out = strdup((const char *)sqlite3_column_text(s, 0));
    assert_non_null(out);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

static void integrity_ok(const char *path)
{
    sqlite3 *db = db_open_ro(path);
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

/* ---------------------------------------------------------------------- */
/* Making edits                                                            */

static void bulk_value(char *out, size_t cap, const char *prefix, int i)
{
    snprintf(out, cap, "dòng %d của %s: kết quả thi đua", i, prefix);
}

static void bulk_entity(char *out, size_t cap, const char *prefix, int i)
{
    snprintf(out, cap, "%s-%05d", prefix, i);
}

/* Edits prefix-00001 .. prefix-N, field "text", through xa_store_set (what
 * `xasync set` calls), with no xasync process running on `path`. */
static void bulk_set(const char *path, const char *prefix, int n)
{
    xa_store *st = NULL;

    if (xa_store_open(&st, path) != 0)
        fail_msg("cannot open %s", path);
    for (int i = 1; i <= n; i++) {
        char ent[64], text[128], *json;
        cJSON *s;
        int rc;

        bulk_entity(ent, sizeof ent, prefix, i);
        bulk_value(text, sizeof text, prefix, i);
        s = cJSON_CreateString(text);
        json = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        assert_non_null(json);
        rc = xa_store_set(st, xa_store_scope(st), ent, "text", json, AUTHOR, 0, NULL);
        free(json);
        if (rc != 0) {
            xa_store_close(st);
            fail_msg("xa_store_set %s: %d", ent, rc);
        }
    }
    xa_store_close(st);
}

/* Check that a parsed state holds prefix-1..n, each with its one value. */
static void expect_bulk(cJSON *state, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char ent[64], text[128];

        bulk_entity(ent, sizeof ent, prefix, i);
        bulk_value(text, sizeof text, prefix, i);
        EXPECT_VALUE(state, ent, "text", text);
    }
}

/* Every field of a parsed state has exactly one value. */
static void expect_no_conflict(cJSON *state)
{
    cJSON *it;

    cJSON_ArrayForEach(it, state)
    {
        const char *vals[8];
        cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "entity");
        int n = field_values(it, vals, 8);

        if (n != 1)
            fail_msg("%s has %d values", cJSON_IsString(e) ? e->valuestring : "?", n);
    }
}

static void remote_set(const fx *f, const char *db, const char *token_scope, int port)
{
    char url[64], name[96], *tok, *out;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(name, sizeof name, "%s.token", token_scope);
    tok = xt_path(f->dir, name);
    out = XA_OUT(f, "--db", db, "remote", "set", url, "--token-file", tok);
    free(out);
    free(tok);
}

/* ---------------------------------------------------------------------- */
/* Raw HTTP, and a fake captive portal                                     */

static int connect_local(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        fail_msg("socket: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(e));
    }
    return fd;
}

/* GET `path` with a Bearer token; returns the status, *body the whole
 * answer (headers and body; caller frees).  Bounded in time and size. */
static int http_get(int port, const char *path, const char *token, char **body)
{
    char req[1024];
    sbuf b = {NULL, 0, 0};
    int fd = connect_local(port), status = 0, n;
    int64_t deadline = mono_ms() + 10000;

    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                 "Connection: close\r\n\r\n",
                 path, token);
    assert_true(n > 0 && (size_t)n < sizeof req);
    if (write(fd, req, (size_t)n) != n)
        fail_msg("write: %s", strerror(errno));
    sb_add(&b, "", 0);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int64_t left = deadline - mono_ms();
        char chunk[4096];
        ssize_t r;

        if (left <= 0)
            fail_msg("GET %s: no complete answer in 10 s", path);
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (b.n + (size_t)r > HTTP_MAX)
            fail_msg("GET %s: answer too large", path);
        sb_add(&b, chunk, (size_t)r);
    }
    close(fd);
    if (sscanf(b.p, "HTTP/1.%*d %d", &status) != 1)
        fail_msg("GET %s: not an HTTP answer: [%.200s]", path, b.p);
    *body = b.p;
    return status;
}

static char *read_token(const fx *f, const char *scope)
{
    char name[96], *path, *tok;
    size_t n = 0;

    snprintf(name, sizeof name, "%s.token", scope);
    path = xt_path(f->dir, name);
    tok = xt_read_file(path, &n);
    free(path);
    assert_non_null(tok);
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
        tok[--n] = '\0';
    return tok;
}

/* In the portal child: read one request (headers, then Content-Length bytes
 * of body), answer with a login page, close.  Bounded by alarm(). */
static void portal_serve(int cfd)
{
    static const char page[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                               "Content-Length: 18\r\nConnection: close\r\n\r\n"
                               "<html>Login</html>";
    char buf[65536];
    size_t got = 0, need = 0;
    char *end = NULL;

    while (got + 1 < sizeof buf) {
        ssize_t r = read(cfd, buf + got, sizeof buf - 1 - got);

        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
        if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = NULL;

            for (char *p = buf; p < end; p++)
                if ((p == buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
                    cl = p + 15;
            need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl, NULL, 10) : 0);
        }
        if (end != NULL && got >= need)
            break;
    }
    {
        size_t off = 0;
        while (off < sizeof page - 1) {
            ssize_t w = write(cfd, page + off, sizeof page - 1 - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    shutdown(cfd, SHUT_WR);
    /* Let the client read the answer before the socket goes. */
    while (read(cfd, buf, sizeof buf) > 0)
        ;
    close(cfd);
}

/* Start the fake captive portal on 127.0.0.1:0; returns its port. */
static int portal_start(fx *f)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    pid_t pid;

    if (fd < 0)
        fail_msg("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        close(fd);
        fail_msg("portal: cannot listen: %s", strerror(e));
    }
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        alarm(120); /* never outlive the test by much */
        for (;;) {
            int cfd = accept(fd, NULL, NULL);
            if (cfd >= 0)
                portal_serve(cfd);
        }
    }
    close(fd);
    f->portal_pid = (int)pid;
    return (int)ntohs(sa.sin_port);
}

/* Start `xasync --db DB sync` in the background, its output to files. */
static int sync_background(fx *f, const char *db)
{
    char *out = xt_path(f->dir, "bg.out"), *err = xt_path(f->dir, "bg.err");
    const char *args[] = {XA_BIN, "--db", db, "sync", NULL};
    pid_t pid = fork();

    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execv(XA_BIN, (char *const *)args);
        _exit(127);
    }
    free(out);
    free(err);
    f->bg_pid = (int)pid;
    return (int)pid;
}

/* Wait (bounded) for the background sync; returns its exit status. */
static int wait_background(fx *f)
{
    int64_t deadline = mono_ms() + WAIT_MS;
    int st = 0;

    for (;;) {
        pid_t r = waitpid((pid_t)f->bg_pid, &st, WNOHANG);

        if (r == (pid_t)f->bg_pid)
            break;
        if (mono_ms() > deadline) {
            kill_child(&f->bg_pid);
            fail_msg("the background sync did not end in %d s", WAIT_MS / 1000);
        }
        sleep_ms(10);
    }
    f->bg_pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Copy a live SQLite database with the online backup API (what `sqlite3
 * DB ".backup COPY"` does): a consistent copy, WAL included. */
static void db_backup(const char *src, const char *dst)
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
    /* as a disk image would hold it: the record beside the file too, so
     * the copy put back keeps its node id and the district must find the
     * reused dots (a file put back alone takes a new id at once:
     * tests/sync/test_incarnation.c) */
    xt_copy_db_marker(src, dst);
}

static void unlink_db(const char *path)
{
    char side[4200];

    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The number of values (siblings) in a parsed state. */
static int count_values(cJSON *state)
{
    cJSON *it;
    int n = 0;

    cJSON_ArrayForEach(it, state)
    {
        const char *vals[8];
        n += field_values(it, vals, 8);
    }
    return n;
}

/* A fresh PC's first sync got everything: either the history (every op),
 * or a snapshot of the state (docs/design.md: "It then holds every op up to that
 * vector in effect") plus any history past it.  Either way, what it
 * reports matches what its journal gained, and it holds the same version
 * vector and state as `ref`. */
static void fresh_sync_at(const fx *f, const char *db, const char *ref, int line)
{
    synced s = sync_ok_at(f, db, __FILE__, line);
    int64_t held = journal_count(db, KIM);
    char *st = pc_state(f, db), *rs = pc_state(f, ref);
    cJSON *j = parse_array(st);

    if (s.sent != 0)
        fail_msg("%s:%d: a fresh PC sent %llu ops", __FILE__, line, s.sent);
    if (s.snap == 0 && (int64_t)s.received != held)
        fail_msg("%s:%d: a fresh PC reported %llu ops received and holds %lld", __FILE__, line,
                 s.received, (long long)held);
    if (s.snap != 0 && (s.snap != (unsigned long long)cJSON_GetArraySize(j) ||
                        (int64_t)s.received + count_values(j) != held))
        fail_msg("%s:%d: a fresh PC reported a snapshot of %llu fields and %llu ops; it holds "
                 "%d fields, %d values, %lld ops",
                 __FILE__, line, s.snap, s.received, cJSON_GetArraySize(j), count_values(j),
                 (long long)held);
    if (strcmp(st, rs) != 0)
        fail_msg("%s:%d: after a first sync, %s and %s show different states", __FILE__, line, db,
                 ref);
    cJSON_Delete(j);
    free(st);
    free(rs);
    same_have_at(f, db, ref, line);
    journal_within_at(db, f->ddb, KIM, line);
}
#define FRESH_SYNC(f, db, ref) fresh_sync_at((f), (db), (ref), __LINE__)

/* ---------------------------------------------------------------------- */
/* The tests                                                               */

/* A PC's whole database goes to the server in a first sync. */
static void test_sync__first_sync_sends_whole_database(void **state)
{
    fx *f = *state;
    char *st_a, *st_srv, *out;
    cJSON *srv, *js, *it;

    bulk_set(f->a, "blk", 300);
    assert_true(status_pending(f, f->a) == 300);

    SYNC_EXPECT(f, f->a, 300, 0);

    /* The server holds them all, as A does. */
    st_srv = server_state(f, KIM);
    srv = parse_array(st_srv);
    assert_int_equal(cJSON_GetArraySize(srv), 300);
    expect_bulk(srv, "blk", 300);
    expect_no_conflict(srv);
    cJSON_Delete(srv);
    st_a = pc_state(f, f->a);
    assert_string_equal(st_a, st_srv);
    free(st_a);
    free(st_srv);
    assert_int_equal(journal_count(f->ddb, KIM), 300);
    assert_int_equal(node_count(f->ddb, KIM, node_of(f->a)), 300);
    SAME_JOURNAL(f->a, f->ddb, KIM);

    /* Nothing waiting, no error. */
    out = XA_OUT(f, "--db", f->a, "status");
    if (strncmp(out, "all changes sent", 16) != 0 || strstr(out, "failing") != NULL)
        fail_msg("status after a full sync: [%s]", out);
    free(out);
    js = status_json(f, f->a);
    it = cJSON_GetObjectItemCaseSensitive(js, "pending");
    assert_true(cJSON_IsNumber(it) && it->valuedouble == 0);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(js, "last_success")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(js, "last_error")));
    cJSON_Delete(js);

    /* The other commune saw none of it. */
    assert_int_equal(journal_count(f->ddb, PHU), 0);
}

/* Later syncs send only the new ops, fetch only the missing ones. */
static void test_sync__incremental_sync_sends_only_new(void **state)
{
    fx *f = *state;
    char *sa, *sb, *ss;
    cJSON *s;

    bulk_set(f->a, "blk", 300);
    SYNC_EXPECT(f, f->a, 300, 0);

    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    SET(f, f->a, "blk-00007", "text", "đoạn đã sửa");
    assert_true(status_pending(f, f->a) == 3);
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_true(status_pending(f, f->a) == 0);
    assert_int_equal(journal_count(f->ddb, KIM), 303);

    /* B, a new PC of the same commune, receives everything: the history,
     * or (docs/design.md) a snapshot of the state, which stands for it. */
    FRESH_SYNC(f, f->b, f->a);
    sa = pc_state(f, f->a);
    sb = pc_state(f, f->b);
    assert_string_equal(sa, sb);
    s = parse_array(sb);
    assert_int_equal(cJSON_GetArraySize(s), 302);
    EXPECT_VALUE(s, "ind-4", "est", "636,4");
    EXPECT_VALUE(s, "blk-00007", "text", "đoạn đã sửa");
    EXPECT_VALUE(s, "blk-00008", "text", "dòng 8 của blk: kết quả thi đua");
    expect_no_conflict(s);
    cJSON_Delete(s);
    free(sa);
    free(sb);
    JOURNAL_WITHIN(f->b, f->ddb, KIM);

    /* Nothing new: nothing moves, either way. */
    SYNC_EXPECT(f, f->b, 0, 0);
    SYNC_EXPECT(f, f->a, 0, 0);

    /* B's edits travel to A the same way. */
    SET(f, f->b, "ind-4", "note", "ước thực hiện");
    SET(f, f->b, "ind-5", "est", "1.460");
    SYNC_EXPECT(f, f->b, 2, 0);
    SYNC_EXPECT(f, f->a, 0, 2);
    SYNC_EXPECT(f, f->a, 0, 0);
    SYNC_EXPECT(f, f->b, 0, 0);
    same_have(f, f->a, f->b);
    JOURNAL_WITHIN(f->b, f->ddb, KIM);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = pc_state(f, f->a);
    ss = server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
}

/* Both values of a concurrent edit survive on every replica until a person
 * resolves the conflict. */
static void test_sync__concurrent_edits_conflict_until_resolved(void **state)
{
    fx *f = *state;
    const char *vals[8];
    char *out, *ss;
    cJSON *j, *fo;
    xt_run r;
    int n;

    SET(f, f->a, "ind-4", "est", "636,4");
    SYNC_EXPECT(f, f->a, 1, 0);
    SYNC_EXPECT(f, f->b, 0, 1);

    /* Apart: both change the same cell. */
    SET(f, f->a, "ind-4", "est", "640,1");
    out = XA_OUT(f, "--db", f->b, "set", "ind-4", "est", "650,0", "--author", AUTHOR_B);
    free(out);

    SYNC_EXPECT(f, f->a, 1, 0);
    SYNC_EXPECT(f, f->b, 1, 1);
    SYNC_EXPECT(f, f->a, 0, 1);

    /* Both PCs show both values, with exit 3. */
    const char *pcs[] = {f->a, f->b};
    for (int i = 0; i < 2; i++) {
        r = XA(f, "--db", pcs[i], "get", "ind-4", "est");
        if (r.status != 3 || strstr(r.out, "640,1") == NULL || strstr(r.out, "650,0") == NULL ||
            strstr(r.err, "conflict") == NULL)
            fail_msg("get on %s: expected exit 3 listing both values; got %d\nstdout: [%s]\n"
                     "stderr: [%s]",
                     pcs[i], r.status, r.out, r.err);
        xt_run_free(&r);
        r = XA(f, "--db", pcs[i], "get", "ind-4", "est", "--json");
        assert_int_equal(r.status, 3);
        j = cJSON_Parse(r.out);
        assert_non_null(j);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "conflict")));
        n = field_values(j, vals, 8);
        assert_int_equal(n, 2);
        assert_true((strcmp(vals[0], "640,1") == 0 && strcmp(vals[1], "650,0") == 0) ||
                    (strcmp(vals[0], "650,0") == 0 && strcmp(vals[1], "640,1") == 0));
        cJSON_Delete(j);
        xt_run_free(&r);
    }

    /* The server holds the conflict too. */
    ss = server_state(f, KIM);
    j = parse_array(ss);
    fo = find_field(j, "ind-4", "est");
    assert_non_null(fo);
    assert_int_equal(field_values(fo, vals, 8), 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fo, "conflict")));
    cJSON_Delete(j);
    free(ss);
    assert_int_equal(district_conflicts(f, KIM), 1);

    /* A plain set on the conflicted cell is refused; B resolves it. */
    r = XA(f, "--db", f->b, "set", "ind-4", "est", "1", "--author", AUTHOR_B);
    assert_int_equal(r.status, 3);
    xt_run_free(&r);
    out = XA_OUT(f, "--db", f->b, "resolve", "ind-4", "est", "645,0", "--author", AUTHOR_B);
    free(out);
    SYNC_EXPECT(f, f->b, 1, 0);
    SYNC_EXPECT(f, f->a, 0, 1);

    out = XA_OUT(f, "--db", f->a, "get", "ind-4", "est");
    assert_string_equal(out, "645,0\n");
    free(out);
    out = XA_OUT(f, "--db", f->b, "get", "ind-4", "est");
    assert_string_equal(out, "645,0\n");
    free(out);

    ss = server_state(f, KIM);
    j = parse_array(ss);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    EXPECT_VALUE(j, "ind-4", "est", "645,0");
    assert_true(
        cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(find_field(j, "ind-4", "est"), "conflict")));
    cJSON_Delete(j);
    free(ss);
    assert_int_equal(district_conflicts(f, KIM), 0);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    SAME_JOURNAL(f->b, f->ddb, KIM);
    assert_int_equal(journal_count(f->ddb, KIM), 4);
}

/* A response lost after the server committed: the next sync sends the same
 * ops again, and each is held once. */
static void test_sync__lost_response_resent_once(void **state)
{
    fx *f = *state;
    char reply[256], *sa, *ss;
    cJSON *j;
    xt_run r;

    bulk_set(f->a, "blk", 50);
    xt_proxy_start(&f->proxy, f->srv.port);
    remote_set(f, f->a, KIM, f->proxy.port);
    remote_set(f, f->b, KIM, f->proxy.port);

    /* First the request is cut on its way: the server never applies a
     * part of a body. */
    if (xt_proxy_cmd(&f->proxy, "cut-up 400", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-up 400: %s", reply);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync with the request cut: expected a failure; got %d\nstdout: [%s]\n"
                 "stderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    assert_int_equal(journal_count(f->ddb, KIM), 0);
    assert_true(status_pending(f, f->a) == 50);

    /* Then the request goes through whole; the answer is cut after 20
     * bytes ("pass" first: modes combine). */
    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    if (xt_proxy_cmd(&f->proxy, "cut-down 20", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-down 20: %s", reply);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync with the answer cut: expected a failure; got %d\nstdout: [%s]\n"
                 "stderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    /* The server did commit; A does not know it. */
    assert_int_equal(journal_count(f->ddb, KIM), 50);
    assert_true(status_pending(f, f->a) == 50);

    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    SYNC_EXPECT(f, f->a, 50, 0);
    assert_true(status_pending(f, f->a) == 0);
    assert_int_equal(q_int(f->ddb, "SELECT count(*) FROM journal"), 50);
    assert_int_equal(journal_count(f->ddb, KIM), journal_count(f->a, KIM));
    assert_int_equal(q_int(f->ddb, "SELECT count(*) FROM (SELECT DISTINCT node, seq FROM journal)"),
                     50);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = pc_state(f, f->a);
    j = parse_array(sa);
    assert_int_equal(cJSON_GetArraySize(j), 50);
    expect_bulk(j, "blk", 50);
    expect_no_conflict(j);
    cJSON_Delete(j);
    ss = server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);

    /* The same on the way down: B's answer is lost, B asks again. */
    if (xt_proxy_cmd(&f->proxy, "cut-down 20", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-down 20: %s", reply);
    r = XA(f, "--db", f->b, "sync");
    assert_int_not_equal(r.status, 0);
    xt_run_free(&r);
    assert_int_equal(journal_count(f->b, KIM), 0);
    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    SYNC_EXPECT(f, f->b, 0, 50);
    SYNC_EXPECT(f, f->b, 0, 0);
    SYNC_EXPECT(f, f->a, 0, 0);
    SAME_JOURNAL(f->b, f->ddb, KIM);
    assert_int_equal(q_int(f->ddb, "SELECT count(*) FROM journal"), 50);
}

/* The server killed with SIGKILL in the middle of a long sync: after a
 * restart, the next sync completes; nothing lost, nothing twice. */
static void test_sync__server_killed_mid_sync_loses_nothing(void **state)
{
    fx *f = *state;
    const int total = 5000;
    int64_t held = 0, deadline, after_kill;
    sqlite3 *poll_db;
    char *sa, *ss;
    cJSON *j;
    int st;

    bulk_set(f->a, "blk", total);
    sync_background(f, f->a);

    /* Kill as soon as the server has committed a first batch: the sync is
     * then in the middle of its round trips. */
    poll_db = db_open_ro(f->ddb);
    deadline = mono_ms() + WAIT_MS;
    while (held == 0 && mono_ms() < deadline) {
        held = q_int_db(poll_db, "SELECT count(*) FROM journal WHERE scope = 'hoang-kim'");
        if (held == 0)
            sleep_ms(1);
    }
    sqlite3_close(poll_db);
    assert_true(held > 0);
    assert_int_equal(xt_server_stop(&f->srv, SIGKILL), 128 + SIGKILL);

    st = wait_background(f);
    after_kill = journal_count(f->ddb, KIM);
    print_message("server killed with %lld of %d ops held; the sync exited %d\n",
                  (long long)after_kill, total, st);
    assert_true(after_kill < total); /* it was indeed mid-sync */
    assert_int_not_equal(st, 0);
    assert_true(status_pending(f, f->a) > 0);
    integrity_ok(f->ddb);

    /* Restart on the same database; A follows the new port. */
    xt_server_start(&f->srv, f->ddb, NULL);
    remote_set(f, f->a, KIM, f->srv.port);
    {
        synced s = SYNC_OK(f, f->a);
        assert_true(s.sent >= (unsigned long long)(total - after_kill));
        assert_true(s.sent <= (unsigned long long)total);
        assert_int_equal(s.received, 0);
    }
    assert_true(status_pending(f, f->a) == 0);
    SYNC_EXPECT(f, f->a, 0, 0);

    assert_int_equal(journal_count(f->ddb, KIM), total);
    assert_int_equal(node_count(f->ddb, KIM, node_of(f->a)), total);
    assert_int_equal(q_int(f->ddb, "SELECT max(seq) FROM journal WHERE scope = 'hoang-kim'"),
                     total);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    integrity_ok(f->ddb);
    ss = server_state(f, KIM);
    j = parse_array(ss);
    assert_int_equal(cJSON_GetArraySize(j), total);
    expect_bulk(j, "blk", total);
    expect_no_conflict(j);
    cJSON_Delete(j);
    sa = pc_state(f, f->a);
    assert_string_equal(sa, ss);
    free(sa);

    /* B, fresh, fetches the whole backlog over several answers ("more"). */
    remote_set(f, f->b, KIM, f->srv.port);
    FRESH_SYNC(f, f->b, f->a);
    sa = pc_state(f, f->b);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
    integrity_ok(f->ddb);
}

/* A commune's token neither writes nor reads another commune's data. */
static void test_sync__commune_cannot_touch_another_scope(void **state)
{
    fx *f = *state;
    char *x = xt_path(f->dir, "x.db"), *before, *after, *body, *tok_phu, *tok_kim, *out;
    uint64_t digest;
    xt_run r;
    int status;

    /* hoang-kim's data on the server; C syncs its own commune fine. */
    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "blk-1", "text", "Báo cáo sơ kết 6 tháng");
    SYNC_EXPECT(f, f->a, 2, 0);
    SET(f, f->c, "ind-4", "est", "12");
    SYNC_EXPECT(f, f->c, 1, 0);

    /* A hoang-kim database carrying hoang-phu's token (C's). */
    out = XA_OUT(f, "--db", x, "init", "--scope", KIM);
    free(out);
    remote_set(f, x, PHU, f->srv.port);
    SET(f, x, "ind-4", "est", "999");
    SET(f, x, "blk-2", "text", "chen vao");

    before = server_state(f, KIM);
    digest = xt_db_digest(f->ddb);
    r = XA(f, "--db", x, "sync");
    if (r.status != 1 || strncmp(r.err, "xasync: ", 8) != 0 || strstr(r.err, "refused") == NULL)
        fail_msg("sync with another commune's token: expected exit 1, refused; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    after = server_state(f, KIM);
    assert_string_equal(before, after);
    assert_true(xt_db_digest(f->ddb) == digest);
    assert_int_equal(journal_count(f->ddb, KIM), 2);
    assert_int_equal(node_count(f->ddb, KIM, node_of(x)), 0);
    assert_int_equal(node_count(f->ddb, PHU, node_of(x)), 0);
    /* ... and it read nothing: x holds only its own two edits. */
    assert_int_equal(journal_count(x, KIM), 2);
    assert_true(status_pending(f, x) == 2);
    free(before);
    free(after);

    /* Reading hoang-kim's state with hoang-phu's token: refused. */
    tok_phu = read_token(f, PHU);
    tok_kim = read_token(f, KIM);
    status = http_get(f->srv.port, "/v1/scopes/hoang-kim/state", tok_phu, &body);
    if (status != 403 || strstr(body, "636,4") != NULL || strstr(body, "Báo cáo") != NULL)
        fail_msg("GET hoang-kim state with hoang-phu's token: expected 403 and no data; got %d "
                 "[%.300s]",
                 status, body);
    free(body);
    /* The same request with hoang-kim's own token reads it. */
    status = http_get(f->srv.port, "/v1/scopes/hoang-kim/state", tok_kim, &body);
    if (status != 200 || strstr(body, "636,4") == NULL)
        fail_msg("GET hoang-kim state with its own token: expected 200 with data; got %d "
                 "[%.300s]",
                 status, body);
    free(body);
    free(tok_phu);
    free(tok_kim);

    /* C still holds only its commune's op, the server hoang-phu's only C's. */
    assert_int_equal(journal_count(f->c, PHU), 1);
    assert_int_equal(q_int(f->c, "SELECT count(*) FROM journal WHERE scope <> 'hoang-phu'"), 0);
    assert_int_equal(journal_count(f->ddb, PHU), 1);
    SYNC_EXPECT(f, f->c, 0, 0);
    free(x);
}

/* A PC restored from a copy of its database taken before its last sync:
 * its new edits go under a new node id; no dot is reused. */
static void test_sync__restored_pc_takes_new_node(void **state)
{
    fx *f = *state;
    char *copy = xt_path(f->dir, "a-copy.db"), *sa, *ss, *sb;
    const char *vals[8];
    xa_node old, nu;
    cJSON *j, *fo;
    xt_run r;

    bulk_set(f->a, "blk", 10);
    SET(f, f->a, "ind-1", "est", "50");
    SYNC_EXPECT(f, f->a, 11, 0);
    old = node_of(f->a);

    db_backup(f->a, copy);

    /* After the copy: A edits and syncs; the server holds A:12..16. */
    SET(f, f->a, "after-1", "text", "sau bản sao 1");
    SET(f, f->a, "after-2", "text", "sau bản sao 2");
    SET(f, f->a, "after-3", "text", "sau bản sao 3");
    SET(f, f->a, "after-4", "text", "sau bản sao 4");
    SET(f, f->a, "ind-1", "est", "100");
    SYNC_EXPECT(f, f->a, 5, 0);
    assert_int_equal(node_count(f->ddb, KIM, old), 16);

    /* The disk dies; A comes back from the copy and the clerk goes on. */
    unlink_db(f->a);
    if (rename(copy, f->a) != 0)
        fail_msg("rename: %s", strerror(errno));
    xt_copy_db_marker(copy, f->a);
    assert_int_equal(journal_count(f->a, KIM), 11);
    assert_true(node_of(f->a) == old);
    SET(f, f->a, "new-1", "text", "mới 1");
    SET(f, f->a, "new-2", "text", "mới 2");
    SET(f, f->a, "new-3", "text", "mới 3");
    SET(f, f->a, "ind-1", "est", "200");

    r = XA(f, "--db", f->a, "sync");
    if (r.status != 0 || strstr(r.err, "restored from an older copy") == NULL ||
        strstr(r.err, "new PC id") == NULL)
        fail_msg("sync of the restored PC: expected exit 0 and the note on a new PC id; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    {
        synced s = parse_synced_at(&r, __FILE__, __LINE__);
        assert_int_equal(s.sent, 4);
        assert_int_equal(s.received, 5);
    }
    xt_run_free(&r);

    nu = node_of(f->a);
    assert_true(nu != old && nu != 0);
    /* The server: the old node's 16 (11 + 5 made after the copy), the new
     * node's 4. */
    assert_int_equal(node_count(f->ddb, KIM, old), 16);
    assert_int_equal(node_count(f->ddb, KIM, nu), 4);
    assert_int_equal(journal_count(f->ddb, KIM), 20);
    /* No dot with two meanings: A and the server hold the same rows. */
    SAME_JOURNAL(f->a, f->ddb, KIM);

    sa = pc_state(f, f->a);
    j = parse_array(sa);
    expect_bulk(j, "blk", 10);
    EXPECT_VALUE(j, "after-1", "text", "sau bản sao 1");
    EXPECT_VALUE(j, "after-4", "text", "sau bản sao 4");
    EXPECT_VALUE(j, "new-1", "text", "mới 1");
    EXPECT_VALUE(j, "new-3", "text", "mới 3");
    /* ind-1 est was changed on both sides of the copy: a conflict, both
     * values kept. */
    fo = find_field(j, "ind-1", "est");
    assert_non_null(fo);
    assert_int_equal(field_values(fo, vals, 8), 2);
    assert_true((strcmp(vals[0], "100") == 0 && strcmp(vals[1], "200") == 0) ||
                (strcmp(vals[0], "200") == 0 && strcmp(vals[1], "100") == 0));
    cJSON_Delete(j);
    ss = server_state(f, KIM);
    assert_string_equal(sa, ss);

    /* A second sync is clean. */
    r = XA(f, "--db", f->a, "sync");
    MUST_OK(r, "second sync");
    assert_int_equal(r.errlen, 0);
    {
        synced s = parse_synced_at(&r, __FILE__, __LINE__);
        assert_int_equal(s.sent, 0);
        assert_int_equal(s.received, 0);
    }
    xt_run_free(&r);
    assert_true(status_pending(f, f->a) == 0);

    /* Another PC of the commune sees the same. */
    FRESH_SYNC(f, f->b, f->a);
    sb = pc_state(f, f->b);
    assert_string_equal(sb, ss);
    free(sa);
    free(sb);
    free(ss);
    free(copy);
}

/* The copy held an edit that was not yet sent when it was taken, and was
 * sent after: that edit is the same op on both sides, so it keeps its dot;
 * only the edits made after the restore move to the new node. */
static void test_sync__restored_copy_keeps_ops_the_server_has(void **state)
{
    fx *f = *state;
    char *copy = xt_path(f->dir, "a-copy.db"), *sa, *ss;
    xa_node old, nu;
    cJSON *j;
    xt_run r;

    bulk_set(f->a, "blk", 5);
    SYNC_EXPECT(f, f->a, 5, 0);
    old = node_of(f->a);
    SET(f, f->a, "pending-1", "text", "chưa gửi"); /* A:6, not sent yet */
    db_backup(f->a, copy);

    SET(f, f->a, "after-1", "text", "sau bản sao 1"); /* A:7 */
    SET(f, f->a, "after-2", "text", "sau bản sao 2"); /* A:8 */
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_int_equal(node_count(f->ddb, KIM, old), 8);

    unlink_db(f->a);
    if (rename(copy, f->a) != 0)
        fail_msg("rename: %s", strerror(errno));
    xt_copy_db_marker(copy, f->a);
    assert_int_equal(journal_count(f->a, KIM), 6);
    SET(f, f->a, "new-1", "text", "mới 1");
    SET(f, f->a, "new-2", "text", "mới 2");
    SET(f, f->a, "new-3", "text", "mới 3");

    r = XA(f, "--db", f->a, "sync");
    if (r.status != 0 || strstr(r.err, " 3 unsent edits now go under a new PC id") == NULL)
        fail_msg("sync of the restored PC: expected exit 0 and 3 edits moved to a new PC id; "
                 "got %d\nstdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    {
        synced s = parse_synced_at(&r, __FILE__, __LINE__);
        /* pending-1 may go again (the copy never saw it acknowledged). */
        assert_true(s.sent == 3 || s.sent == 4);
        assert_int_equal(s.received, 2);
    }
    xt_run_free(&r);

    nu = node_of(f->a);
    assert_true(nu != old);
    assert_int_equal(node_count(f->ddb, KIM, old), 8);
    assert_int_equal(node_count(f->ddb, KIM, nu), 3);
    assert_int_equal(node_count(f->a, KIM, old), 8);
    assert_int_equal(node_count(f->a, KIM, nu), 3);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = pc_state(f, f->a);
    j = parse_array(sa);
    assert_int_equal(cJSON_GetArraySize(j), 11);
    expect_bulk(j, "blk", 5);
    EXPECT_VALUE(j, "pending-1", "text", "chưa gửi");
    EXPECT_VALUE(j, "after-2", "text", "sau bản sao 2");
    EXPECT_VALUE(j, "new-3", "text", "mới 3");
    expect_no_conflict(j);
    cJSON_Delete(j);
    ss = server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
    SYNC_EXPECT(f, f->a, 0, 0);
    free(copy);
}

/* A captive portal answers 200 with a login page: not an acknowledgement. */
static void test_sync__captive_portal_is_not_an_ack(void **state)
{
    fx *f = *state;
    char *out, *acked_before, *acked_after;
    cJSON *js, *it;
    xt_run r;
    int port;

    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    SYNC_EXPECT(f, f->a, 2, 0);
    SET(f, f->a, "ind-5", "est", "1.460");
    SET(f, f->a, "ind-5", "plan", "1.500");
    SET(f, f->a, "ind-6", "est", "12");
    assert_true(status_pending(f, f->a) == 3);
    acked_before = acked_text(f->a);

    port = portal_start(f);
    remote_set(f, f->a, KIM, port);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strstr(r.err, "captive portal") == NULL ||
        strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync against a captive portal: expected a failure naming it; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);

    /* Status tells the clerk, and still counts the three changes. */
    out = XA_OUT(f, "--db", f->a, "status");
    if (strstr(out, "3 changes waiting") == NULL || strstr(out, "captive portal") == NULL)
        fail_msg("status after a captive portal: [%s]", out);
    free(out);
    js = status_json(f, f->a);
    it = cJSON_GetObjectItemCaseSensitive(js, "pending");
    assert_true(cJSON_IsNumber(it) && it->valuedouble == 3);
    it = cJSON_GetObjectItemCaseSensitive(js, "last_error");
    assert_true(cJSON_IsString(it) && strstr(it->valuestring, "captive portal") != NULL);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(js, "failing_since")));
    cJSON_Delete(js);
    assert_int_equal(q_int(f->a, "SELECT count(*) FROM acked"), 1);
    acked_after = acked_text(f->a);
    assert_string_equal(acked_after, acked_before);
    free(acked_after);
    free(acked_before);
    assert_int_equal(journal_count(f->ddb, KIM), 2);

    /* Back on the real link, the three changes go, once. */
    kill_child(&f->portal_pid);
    remote_set(f, f->a, KIM, f->srv.port);
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_true(status_pending(f, f->a) == 0);
    assert_int_equal(journal_count(f->ddb, KIM), 5);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    js = status_json(f, f->a);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(js, "last_error")));
    cJSON_Delete(js);
}

/* What one sync through the proxy printed, and what the proxy counted. */
typedef struct wire {
    synced s;
    unsigned long long requests, bup, bdown; /* as `xasync sync` reported */
    uint64_t up, down, conns;                /* as the proxy counted */
} wire;

/* Zero the proxy's counters, run `xasync sync` on `db` (must succeed),
 * collect both sides' counts. */
static wire wire_sync_at(fx *f, const char *db, int line)
{
    char reply[256];
    const char *p;
    wire w;
    xt_run r;

    memset(&w, 0, sizeof w);
    if (xt_proxy_cmd(&f->proxy, "zero", reply, sizeof reply) != 0)
        fail_msg("proxy: zero: %s", reply);
    r = xa(f, ARGV("--db", db, "sync"));
    ok_at(&r, "sync", __FILE__, line);
    w.s = parse_synced_at(&r, __FILE__, line);
    p = strstr(r.out, " ops; ");
    if (p == NULL || sscanf(p, " ops; %llu bytes up, %llu bytes down, %llu requests", &w.bup,
                            &w.bdown, &w.requests) != 3)
        fail_msg("%s:%d: no byte and request counts in [%s]", __FILE__, line, r.out);
    xt_run_free(&r);
    xt_proxy_stats(&f->proxy, &w.up, &w.down, &w.conns);
    return w;
}
#define WIRE_SYNC(f, db) wire_sync_at((f), (db), __LINE__)

/* Edits prefix-1..n whose values are `len` letters drawn at random: text
 * that compresses poorly, so that request bodies are large on the wire. */
static void bulk_set_random(const char *path, const char *prefix, int n, int len, uint32_t seed)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .";
    char *text = malloc((size_t)len + 1);
    xa_store *st = NULL;

    assert_non_null(text);
    if (xa_store_open(&st, path) != 0)
        fail_msg("cannot open %s", path);
    for (int i = 1; i <= n; i++) {
        char ent[64], *json;
        cJSON *js;
        int rc;

        for (int k = 0; k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            text[k] = alphabet[(seed >> 24) % (sizeof alphabet - 1)];
        }
        text[len] = '\0';
        bulk_entity(ent, sizeof ent, prefix, i);
        js = cJSON_CreateString(text);
        json = js ? cJSON_PrintUnformatted(js) : NULL;
        cJSON_Delete(js);
        assert_non_null(json);
        rc = xa_store_set(st, xa_store_scope(st), ent, "text", json, AUTHOR, 0, NULL);
        free(json);
        if (rc != 0) {
            xa_store_close(st);
            fail_msg("xa_store_set %s: %d", ent, rc);
        }
    }
    xa_store_close(st);
    free(text);
}

/* A sync of many round trips, both ways, runs on one kept-alive
 * connection (docs/design.md: "the client loops while there is more to send or
 * `more` is true, on one kept-alive connection"). */
static void test_sync__round_trips_share_one_connection(void **state)
{
    fx *f = *state;
    const int total = 2600; /* more than one batch up, more than one answer down */
    char *sa, *sb;
    wire w;

    bulk_set(f->a, "blk", total);
    SET(f, f->b, "ind-4", "est", "636,4"); /* B is not fresh: it gets history */
    xt_proxy_start(&f->proxy, f->srv.port);
    remote_set(f, f->a, KIM, f->proxy.port);
    remote_set(f, f->b, KIM, f->proxy.port);

    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, total);
    assert_int_equal(w.s.received, 0);
    assert_true(w.requests >= 2);
    if (w.conns != 1)
        fail_msg("A's sync of %d ops in %llu requests used %llu connections, not 1", total,
                 w.requests, (unsigned long long)w.conns);

    w = WIRE_SYNC(f, f->b);
    assert_int_equal(w.s.sent, 1);
    assert_int_equal(w.s.received, total);
    assert_true(w.requests >= 2);
    if (w.conns != 1)
        fail_msg("B's sync receiving %d ops in %llu requests used %llu connections, not 1", total,
                 w.requests, (unsigned long long)w.conns);
    SYNC_EXPECT(f, f->a, 0, 1);
    SAME_JOURNAL(f->a, f->b, KIM);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = pc_state(f, f->a);
    sb = pc_state(f, f->b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
}

/* The bytes a sync reports are the bytes on the wire, headers and bodies
 * (sync.h: "on the wire: headers and bodies"; `status` and the daemon's
 * records show them to the district): the proxy counts exactly those. */
static void test_sync__reported_bytes_match_the_wire(void **state)
{
    fx *f = *state;
    wire w;

    xt_proxy_start(&f->proxy, f->srv.port);
    remote_set(f, f->a, KIM, f->proxy.port);
    remote_set(f, f->b, KIM, f->proxy.port);

    /* A few small edits: small bodies. */
    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, 2);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("a sync of 2 edits reported %llu bytes up, %llu down; the wire carried %llu "
                 "up, %llu down",
                 w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);

    /* Edits of text that compresses poorly: request bodies past 64 KiB. */
    bulk_set_random(f->a, "rnd", 400, 500, 12345u);
    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, 400);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("a sync of 400 edits (%llu requests) reported %llu bytes up, %llu down; the "
                 "wire carried %llu up, %llu down",
                 w.requests, w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);

    /* And the answers: B fetches it all. */
    SET(f, f->b, "ind-5", "est", "1.460");
    w = WIRE_SYNC(f, f->b);
    assert_int_equal(w.s.received, 402);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("B's sync reported %llu bytes up, %llu down; the wire carried %llu up, %llu "
                 "down",
                 w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);
    SYNC_EXPECT(f, f->a, 0, 1);
    SAME_JOURNAL(f->a, f->b, KIM);
}

/* Values near the 64 KiB limit: a backlog whose text is larger than one
 * answer may carry still reaches a PC, in bounded answers (docs/design.md:
 * "Batches are bounded (ops and compressed bytes)"; "Inflated size is
 * bounded before parsing, in both directions"). */
static void test_sync__large_values_arrive_in_bounded_answers(void **state)
{
    fx *f = *state;
    const int total = 1200, size = 60000, chunk = 300; /* 72 MB of values in all */
    char *text = malloc((size_t)size + 1);
    synced s;

    assert_non_null(text);
    /* A writes and sends them in a few syncs, each well within a run's
     * time limit. */
    for (int from = 1; from <= total; from += chunk) {
        xa_store *st = NULL;

        if (xa_store_open(&st, f->a) != 0)
            fail_msg("cannot open %s", f->a);
        for (int i = from; i < from + chunk; i++) {
            char ent[32], *json;
            cJSON *js;
            int n = snprintf(text, (size_t)size + 1, "khối %d: ", i), rc;

            for (int k = n; k < size; k++)
                text[k] = (char)('a' + (k * 7 + i) % 26);
            text[size] = '\0';
            snprintf(ent, sizeof ent, "big-%05d", i);
            js = cJSON_CreateString(text);
            json = js ? cJSON_PrintUnformatted(js) : NULL;
            cJSON_Delete(js);
            assert_non_null(json);
            rc = xa_store_set(st, xa_store_scope(st), ent, "text", json, AUTHOR, 0, NULL);
            free(json);
            if (rc != 0) {
                xa_store_close(st);
                fail_msg("xa_store_set %s: %d", ent, rc);
            }
        }
        xa_store_close(st);
        SYNC_EXPECT(f, f->a, (unsigned long long)chunk, 0);
    }
    free(text);
    assert_int_equal(journal_count(f->ddb, KIM), total);

    /* B holds an edit of its own, so it is not fresh and gets history. */
    SET(f, f->b, "ind-4", "est", "636,4");
    {
        xt_run r = XA(f, "--db", f->b, "sync");
        if (r.status != 0)
            fail_msg("B fetching %d values of %d bytes (%d MB): expected exit 0, got %d\n"
                     "stderr: [%s]",
                     total, size, total * size / 1000000, r.status, r.err);
        s = parse_synced_at(&r, __FILE__, __LINE__);
        xt_run_free(&r);
    }
    assert_int_equal(s.sent, 1);
    assert_int_equal(s.received, total);
    SYNC_EXPECT(f, f->a, 0, 1);
    /* Equal journals make equal fields (the merge is deterministic); the
     * 72 MB `show --json` of each would not fit the test's output cap. */
    SAME_JOURNAL(f->a, f->b, KIM);
}

/* A backlog that needs more round trips than any fixed cap finishes in one
 * `xasync sync`, since every round moves something (it stopped at 1,000
 * rounds: "did not finish in 1000 round trips", exit 1). */
static void test_sync__long_backlog_finishes_in_one_call(void **state)
{
    fx *f = *state;
    xt_run r;
    synced s;
    const char *p;
    unsigned long long requests;

    bulk_set(f->a, "blk", 1050);
    r = XA(f, "--db", f->a, "sync", "--batch-ops", "1");
    ok_at(&r, "sync --batch-ops 1", __FILE__, __LINE__);
    s = parse_synced_at(&r, __FILE__, __LINE__);
    assert_int_equal(s.sent, 1050);
    p = strstr(r.out, " requests");
    while (p && p > r.out && p[-1] >= '0' && p[-1] <= '9')
        p--;
    assert_non_null(p);
    requests = strtoull(p, NULL, 10);
    if (requests < 1050)
        fail_msg("1050 edits, one a request, in %llu requests: [%s]", requests, r.out);
    xt_run_free(&r);
    assert_int_equal(journal_count(f->ddb, KIM), 1050);
    SYNC_EXPECT(f, f->a, 0, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sync__first_sync_sends_whole_database),
        T(test_sync__incremental_sync_sends_only_new),
        T(test_sync__concurrent_edits_conflict_until_resolved),
        T(test_sync__lost_response_resent_once),
        T(test_sync__server_killed_mid_sync_loses_nothing),
        T(test_sync__commune_cannot_touch_another_scope),
        T(test_sync__restored_pc_takes_new_node),
        T(test_sync__restored_copy_keeps_ops_the_server_has),
        T(test_sync__captive_portal_is_not_an_ack),
        T(test_sync__round_trips_share_one_connection),
        T(test_sync__reported_bytes_match_the_wire),
        T(test_sync__large_values_arrive_in_bounded_answers),
        T(test_sync__long_backlog_finishes_in_one_call),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("test_sync", tests, NULL, NULL);
}
