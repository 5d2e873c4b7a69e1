/*
 * The store: opening and creating the database, local writes, and applying
 * received ops (docs/design.md, "The journal").
 *
 * Every write runs in one BEGIN IMMEDIATE transaction that reads the state
 * it depends on (have, the field, the clock) inside the transaction, so a
 * clerk's `xasync set` and a daemon applying a changeset can share the file.
 *
 * Invariants (asserted where the code itself guarantees them):
 *   1. have[scope][node] = the highest seq of node in journal, and journal
 *      holds every seq from 1 to it (contiguity);
 *   2. field.fctx covers every dot of the field's siblings; field.nsib is
 *      the number of its sibling rows;
 *   3. local writes and received ops go through apply_one(): one merge.
 */
#include "store_int.h"
#include "xasync/error.h"
#include "xasync/merge.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A clock reading from another PC further ahead than this is not adopted. */
#define HLC_MAX_AHEAD_MS ((int64_t)24 * 3600 * 1000)

static const char *const sql_text[Q__COUNT] = {
    [Q_HAVE_GET] = "SELECT seq FROM have WHERE scope = ?1 AND node = ?2",
    [Q_HAVE_PUT] = "INSERT INTO have(scope, node, seq) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq",
    [Q_HAVE_ALL] = "SELECT node, seq FROM have WHERE scope = ?1",
    [Q_JOURNAL_GET] = "SELECT entity, field, value, ctx, hlc, author FROM journal"
                      " WHERE scope = ?1 AND node = ?2 AND seq = ?3",
    [Q_JOURNAL_PUT] = "INSERT INTO journal(scope, node, seq, entity, field, value, ctx, hlc,"
                      " author) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_JOURNAL_PREV] = "SELECT seq FROM journal WHERE scope = ?1 AND entity = ?2 AND field = ?3"
                       " AND node = ?4 AND seq < ?5 ORDER BY seq DESC LIMIT 1",
    [Q_JOURNAL_RUN] = "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
                      " WHERE scope = ?1 AND node = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
    [Q_FIELD_GET] = "SELECT fctx, nsib FROM field WHERE scope = ?1 AND entity = ?2 AND field = ?3",
    [Q_FIELD_PUT] =
        "INSERT INTO field(scope, entity, field, fctx, nsib) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(scope, entity, field) DO UPDATE SET fctx = excluded.fctx,"
        " nsib = excluded.nsib",
    [Q_SIB_GET] = "SELECT node, seq FROM sibling WHERE scope = ?1 AND entity = ?2 AND field = ?3",
    [Q_SIB_PUT] =
        "INSERT INTO sibling(scope, entity, field, node, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SIB_DEL] = "DELETE FROM sibling WHERE scope = ?1 AND entity = ?2 AND field = ?3"
                  " AND node = ?4 AND seq = ?5",
    [Q_SIB_VALUES] = "SELECT s.node, s.seq, j.value, j.hlc, j.author FROM sibling s"
                     " JOIN journal j ON j.scope = s.scope AND j.node = s.node AND j.seq = s.seq"
                     " WHERE s.scope = ?1 AND s.entity = ?2 AND s.field = ?3",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [Q_JSON_VALID] = "SELECT json_valid(?1)",
};

/* ---- SQLite edge ---------------------------------------------------- */

int xa_db_error(xa_store *st, int rc, const char *what)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return xa_error_set(XA_EBUSY,
                            "the database is busy (another xasync is writing) while %s;"
                            " try again",
                            what);
    case SQLITE_NOMEM:
        return xa_error_set(XA_ENOMEM, "out of memory while %s", what);
    case SQLITE_NOTADB:
        return xa_error_set(XA_ENOTXA, "%s is not an xasync database",
                            st && st->path ? st->path : "the file");
    case SQLITE_CORRUPT:
        return xa_error_set(XA_ECORRUPT, "the database is damaged (%s) while %s", msg, what);
    case SQLITE_FULL:
        return xa_error_set(XA_EIO, "the disk is full while %s", what);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        return xa_error_set(XA_EIO, "cannot write the database while %s: %s", what, msg);
    default:
        return xa_error_set(XA_EIO, "database error while %s: %s", what, msg);
    }
}

sqlite3_stmt *xa_db_stmt(xa_store *st, int id)
{
    assert(id >= 0 && id < Q__COUNT);
    if (st->q[id] == NULL) {
        int rc = sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &st->q[id],
                                    NULL);
        if (rc != SQLITE_OK) {
            xa_db_error(st, rc, "preparing a query");
            return NULL;
        }
    }
    sqlite3_reset(st->q[id]);
    sqlite3_clear_bindings(st->q[id]);
    return st->q[id];
}

int xa_db_exec(xa_store *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "updating the database");
}

void xa_db_rollback(xa_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

char *xa_db_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    char *out = malloc((size_t)n + 1);

    if (out == NULL)
        return NULL;
    if (n)
        memcpy(out, t, (size_t)n);
    out[n] = '\0';
    return out;
}

/* Step a statement that returns no row. */
static int step_done(xa_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : xa_db_error(st, rc, what);
}

/* ---- ops and lists ------------------------------------------------- */

void xa_op_clear(xa_op *op)
{
    if (op == NULL)
        return;
    free(op->scope);
    free(op->entity);
    free(op->field);
    free(op->value);
    free(op->author);
    xa_vv_free(&op->ctx);
    memset(op, 0, sizeof(*op));
}

xa_op *xa_op_list_push(xa_op_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        xa_op *ops = realloc(l->ops, cap * sizeof(*ops));
        if (ops == NULL) {
            xa_error_set(XA_ENOMEM, "out of memory");
            return NULL;
        }
        l->ops = ops;
        l->cap = cap;
    }
    memset(&l->ops[l->n], 0, sizeof(l->ops[0]));
    return &l->ops[l->n++];
}

void xa_op_list_free(xa_op_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        xa_op_clear(&l->ops[i]);
    free(l->ops);
    l->ops = NULL;
    l->n = l->cap = 0;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- opening -------------------------------------------------------- */

const char *xa_store_scope(const xa_store *st)
{
    return st->scope;
}

xa_node xa_store_node(const xa_store *st)
{
    return st->node;
}

static int pragma_int(xa_store *st, const char *sql, int *out);

int xa_store_data_version(xa_store *st, int64_t *out)
{
    int v = 0, rc = pragma_int(st, "PRAGMA data_version", &v);

    if (rc == 0)
        *out = v;
    return rc;
}

xa_dot xa_store_refused_dot(const xa_store *st)
{
    return st->refused;
}

const char *xa_store_path(const xa_store *st)
{
    return st->path;
}

void xa_store_close(xa_store *st)
{
    if (st == NULL)
        return;
    for (int i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(st->q[i]);
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

static int meta_get(xa_store *st, const char *key, char *buf, size_t cap)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_META_GET);
    int rc;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (n >= cap) {
            sqlite3_reset(s);
            return xa_error_set(XA_ECORRUPT, "stored %s is too long", key);
        }
        memcpy(buf, v, n);
        buf[n] = '\0';
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return xa_error_set(XA_ENOTFOUND, "no %s stored", key);
    return xa_db_error(st, rc, "reading settings");
}

static int meta_put(xa_store *st, const char *key, const char *value)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_META_PUT);

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return step_done(st, s, "writing settings");
}

static int pragma_int(xa_store *st, const char *sql, int *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "reading the database header");
}

/* Connection settings every handle uses. */
static int configure(xa_store *st)
{
    int rc;

    sqlite3_busy_timeout(st->db, 10000);
    rc = xa_db_exec(st, "PRAGMA journal_mode = WAL");
    if (rc == 0)
        rc = xa_db_exec(st, "PRAGMA synchronous = FULL");
    if (rc == 0)
        rc = xa_db_exec(st, "PRAGMA foreign_keys = OFF");
    return rc;
}

static int handle_new(xa_store **out, const char *path)
{
    xa_store *st = calloc(1, sizeof(*st));

    if (st == NULL || (st->path = dupstr(path)) == NULL) {
        free(st);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = st;
    return 0;
}

static int load_identity(xa_store *st)
{
    char node[XA_NODE_HEX + 8];
    int rc = meta_get(st, "node", node, sizeof(node));

    if (rc == 0 && xa_node_parse(node, &st->node) < 0)
        rc = xa_error_set(XA_ECORRUPT, "%s holds a malformed node id", st->path);
    if (rc == 0) {
        rc = meta_get(st, "scope", st->scope, sizeof(st->scope));
        if (rc == XA_ENOTFOUND) {
            st->scope[0] = '\0';
            rc = 0;
        }
    }
    return rc;
}

/* file: URI of a path, for SQLite's mode=ro / immutable=1 */
static char *path_uri(const char *path, const char *query)
{
    size_t n = strlen(path), q = strlen(query);
    char *u = malloc(5 + 3 * n + 1 + q + 1), *w = u;
    static const char hex[] = "0123456789ABCDEF";

    if (u == NULL)
        return NULL;
    memcpy(w, "file:", 5);
    w += 5;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p) != NULL) {
            *w++ = (char)*p;
        } else {
            *w++ = '%';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
        }
    }
    *w++ = '?';
    memcpy(w, query, q + 1);
    return u;
}

int xa_store_open_readonly(xa_store **out, const char *path)
{
    /* mode=ro reads the WAL where one is left; where its shared-memory
     * file cannot be made (a read-only folder), immutable=1 reads the main
     * file alone, which is the whole database after a clean close */
    static const char *const modes[] = {"mode=ro", "immutable=1"};
    int rc = XA_EIO;

    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        xa_store *st = NULL;
        int appid = 0;
        char *uri = path_uri(path, modes[m]);

        if (uri == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        rc = handle_new(&st, path);
        if (rc == 0 && sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                                       NULL) != SQLITE_OK)
            rc = xa_db_error(st, sqlite3_errcode(st->db), "opening the database");
        free(uri);
        if (rc == 0) {
            sqlite3_busy_timeout(st->db, 10000);
            rc = pragma_int(st, "PRAGMA application_id", &appid);
            if (rc == 0 && appid != XA_APPLICATION_ID)
                rc = xa_error_set(XA_ENOTXA, "%s is not an xasync database", path);
        }
        if (rc == 0)
            rc = xa_schema_current(st);
        if (rc == 0)
            rc = load_identity(st);
        if (rc == XA_ENOTFOUND)
            rc = xa_error_set(XA_ENOTXA, "%s is not a complete xasync database (no node id)", path);
        if (rc == 0) {
            *out = st;
            return 0;
        }
        xa_store_close(st);
        if (rc == XA_ENOTXA || rc == XA_ENOMEM)
            break;
    }
    return rc;
}

int xa_store_open(xa_store **out, const char *path)
{
    xa_store *st = NULL;
    struct stat sb;
    int rc, appid = 0;

    if (stat(path, &sb) != 0)
        return xa_error_set(errno == ENOENT ? XA_ENOTFOUND : XA_EIO, "no xasync database at %s",
                            path);
    if (!S_ISREG(sb.st_mode))
        return xa_error_set(XA_ENOTXA, "%s is not an xasync database (not a file)", path);
    rc = handle_new(&st, path);
    if (rc < 0)
        return rc;
    /* Read-only first: nothing is written to a file until it is known to be
     * ours (not even the switch to WAL). */
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        rc = xa_db_error(st, rc, "opening the database");
    } else {
        /* Wait for a writer from the first read on: the header is read
         * under a lock too. */
        sqlite3_busy_timeout(st->db, 10000);
        rc = pragma_int(st, "PRAGMA application_id", &appid);
        if ((rc < 0 && rc != XA_EBUSY && rc != XA_ENOMEM) ||
            (rc == 0 && appid != XA_APPLICATION_ID))
            rc = xa_error_set(XA_ENOTXA, "%s is not an xasync database", path);
    }
    if (rc == 0)
        rc = configure(st);
    if (rc == 0)
        rc = xa_schema_migrate(st, 0);
    if (rc == 0)
        rc = load_identity(st);
    if (rc == XA_ENOTFOUND)
        rc = xa_error_set(XA_ENOTXA, "%s is not a complete xasync database (no node id)", path);
    if (rc == 0)
        rc = xa_incarnation_check(st);
    if (rc < 0) {
        xa_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

static int new_node_id(xa_node *out)
{
    xa_node n = 0;

    while (n == 0) {
        ssize_t got = getrandom(&n, sizeof(n), 0);
        if (got != (ssize_t)sizeof(n))
            return xa_error_set(XA_EIO, "cannot read random bytes from the OS");
    }
    *out = n;
    return 0;
}

static void unlink_db(const char *path)
{
    char aux[4096];

    unlink(path);
    if ((size_t)snprintf(aux, sizeof(aux), "%s-wal", path) < sizeof(aux))
        unlink(aux);
    if ((size_t)snprintf(aux, sizeof(aux), "%s-shm", path) < sizeof(aux))
        unlink(aux);
    if ((size_t)snprintf(aux, sizeof(aux), "%s-node", path) < sizeof(aux))
        unlink(aux);
}

int xa_store_create(xa_store **out, const char *path, const char *scope)
{
    xa_store *st = NULL;
    char node[XA_NODE_HEX + 1], sql[64];
    int fd, rc;

    if (scope && (rc = xa_check_scope(scope)) < 0)
        return rc;
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return xa_error_set(XA_EEXISTS, "a database already exists at %s; not overwriting it",
                                path);
        return xa_error_set(XA_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    close(fd);
    rc = handle_new(&st, path);
    if (rc < 0) {
        unlink(path);
        return rc;
    }
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        rc = xa_db_error(st, rc, "creating the database");
    if (rc == 0)
        rc = new_node_id(&st->node);
    if (rc == 0)
        rc = configure(st);
    /* One transaction: a crash leaves an empty file or a whole database. */
    if (rc == 0)
        rc = xa_db_exec(st, "BEGIN IMMEDIATE");
    if (rc == 0) {
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", XA_APPLICATION_ID);
        rc = xa_db_exec(st, sql);
    }
    if (rc == 0)
        rc = xa_schema_migrate(st, 1);
    if (rc == 0) {
        xa_node_format(st->node, node);
        rc = meta_put(st, "node", node);
    }
    if (rc == 0 && scope)
        rc = meta_put(st, "scope", scope);
    if (rc == 0)
        rc = meta_put(st, "hlc", "0");
    if (rc == 0)
        rc = load_identity(st);
    if (rc == 0 && scope) {
        st->marker_dirty = 1;
        rc = xa_incarnation_note(st);
    }
    if (rc == 0)
        rc = xa_db_exec(st, "COMMIT");
    if (rc < 0) {
        xa_db_rollback(st);
        xa_store_close(st);
        unlink_db(path);
        return rc;
    }
    *out = st;
    return 0;
}

/* ---- transactions ----------------------------------------------------- */

int xa_store_begin(xa_store *st)
{
    return xa_db_exec(st, "BEGIN IMMEDIATE");
}

int xa_store_commit(xa_store *st)
{
    int rc = xa_db_exec(st, "COMMIT");

    if (rc == 0)
        xa_incarnation_note(st);
    return rc;
}

void xa_store_rollback(xa_store *st)
{
    xa_db_rollback(st);
}

/* Begin a write: a transaction of its own, or a savepoint inside the
 * caller's.  *nested remembers which. */
static int write_begin(xa_store *st, int *nested)
{
    *nested = !sqlite3_get_autocommit(st->db);
    return xa_db_exec(st, *nested ? "SAVEPOINT xa_write" : "BEGIN IMMEDIATE");
}

static int write_end(xa_store *st, int nested, int rc)
{
    if (rc == 0 && nested)
        return xa_db_exec(st, "RELEASE xa_write");
    if (rc == 0) {
        rc = xa_db_exec(st, "COMMIT");
        if (rc == 0)
            xa_incarnation_note(st);
        return rc;
    }
    if (nested) {
        sqlite3_exec(st->db, "ROLLBACK TO xa_write", NULL, NULL, NULL);
        sqlite3_exec(st->db, "RELEASE xa_write", NULL, NULL, NULL);
    } else {
        xa_db_rollback(st);
    }
    return rc;
}

/* ---- the clock ------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hlc_read(xa_store *st, int64_t *out)
{
    char buf[32];
    int rc = meta_get(st, "hlc", buf, sizeof(buf));

    if (rc == 0) {
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno || *end || v < 0)
            return xa_error_set(XA_ECORRUPT, "stored clock is malformed");
        *out = v;
    }
    return rc;
}

static int hlc_write(xa_store *st, int64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return meta_put(st, "hlc", buf);
}

/* ---- merge on stored fields ------------------------------------------ */

static int have_get(xa_store *st, const char *scope, xa_node node, uint64_t *out)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_HAVE_GET);
    int rc;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
    rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : xa_db_error(st, rc, "reading have");
}

/* Load a field's state; *exists says whether it was ever written. */
static int field_load(xa_store *st,
                      const char *scope,
                      const char *entity,
                      const char *field,
                      xa_field_state *fs,
                      int *exists)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_FIELD_GET);
    int rc;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    *exists = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        rc = xa_vv_parse((const char *)sqlite3_column_text(s, 0), &fs->fctx);
    else if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = xa_db_error(st, rc, "reading a field");
    sqlite3_reset(s);
    if (rc < 0 || !*exists)
        return rc;

    s = xa_db_stmt(st, Q_SIB_GET);
    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fs->nsib == fs->cap) {
            size_t cap = fs->cap ? fs->cap * 2 : 4;
            xa_dot *d = realloc(fs->sib, cap * sizeof(*d));
            if (d == NULL) {
                sqlite3_reset(s);
                return xa_error_set(XA_ENOMEM, "out of memory");
            }
            fs->sib = d;
            fs->cap = cap;
        }
        fs->sib[fs->nsib].node = XA_NODE_FROM_DB(sqlite3_column_int64(s, 0));
        fs->sib[fs->nsib].seq = (uint64_t)sqlite3_column_int64(s, 1);
        fs->nsib++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return xa_db_error(st, rc, "reading a field's values");
    /* xa_merge_apply keeps siblings sorted by unsigned (node, seq). */
    for (size_t i = 1; i < fs->nsib; i++) {
        xa_dot d = fs->sib[i];
        size_t j = i;
        while (j > 0 && (fs->sib[j - 1].node > d.node ||
                         (fs->sib[j - 1].node == d.node && fs->sib[j - 1].seq > d.seq))) {
            fs->sib[j] = fs->sib[j - 1];
            j--;
        }
        fs->sib[j] = d;
    }
    return 0;
}

static int sib_change(xa_store *st, int id, const xa_op *op, xa_dot d)
{
    sqlite3_stmt *s = xa_db_stmt(st, id);

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, op->entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, op->field, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, XA_NODE_TO_DB(d.node));
    sqlite3_bind_int64(s, 5, (sqlite3_int64)d.seq);
    return step_done(st, s, "updating a field");
}

/* Is a held op (at the journal) the same as `op`?  *same: 1 yes, 0 no, -1
 * the journal does not hold that dot. */
static int same_as_held(xa_store *st, const xa_op *op, int *same)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_JOURNAL_GET);
    xa_vv ctx = XA_VV_INIT;
    int rc;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(op->node));
    sqlite3_bind_int64(s, 3, (sqlite3_int64)op->seq);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        if (rc == SQLITE_DONE) {
            *same = -1; /* not in the journal: history a snapshot stands for */
            return 0;
        }
        return xa_db_error(st, rc, "reading the journal");
    }
    rc = xa_vv_parse((const char *)sqlite3_column_text(s, 3), &ctx);
    if (rc == 0)
        *same = strcmp((const char *)sqlite3_column_text(s, 0), op->entity) == 0 &&
                strcmp((const char *)sqlite3_column_text(s, 1), op->field) == 0 &&
                strcmp((const char *)sqlite3_column_text(s, 2), op->value) == 0 &&
                xa_vv_equal(&ctx, &op->ctx) && sqlite3_column_int64(s, 4) == op->hlc &&
                strcmp((const char *)sqlite3_column_text(s, 5), op->author) == 0;
    sqlite3_reset(s);
    xa_vv_free(&ctx);
    return rc;
}

int xa_journal_put(xa_store *st, const xa_op *op)
{
    sqlite3_stmt *s;
    char *ctxt = xa_vv_format(&op->ctx);
    int rc;

    if (ctxt == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    s = xa_db_stmt(st, Q_JOURNAL_PUT);
    rc = s ? 0 : XA_EIO;
    if (rc == 0) {
        sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(op->node));
        sqlite3_bind_int64(s, 3, (sqlite3_int64)op->seq);
        sqlite3_bind_text(s, 4, op->entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, op->field, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, op->value, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, ctxt, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 8, op->hlc);
        sqlite3_bind_text(s, 9, op->author, -1, SQLITE_STATIC);
        rc = step_done(st, s, "writing the journal");
    }
    free(ctxt);
    return rc;
}

#define journal_put xa_journal_put

uint64_t xa_base_get(xa_store *st, const char *scope, xa_node node)
{
    sqlite3_stmt *s = NULL;
    uint64_t v = 0;

    if (sqlite3_prepare_v2(st->db, "SELECT seq FROM base WHERE scope = ?1 AND node = ?2", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
        if (sqlite3_step(s) == SQLITE_ROW)
            v = (uint64_t)sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

#define base_get xa_base_get

/*
 * A node's own writes to a field supersede each other: its op must have seen
 * its own previous op on that field (every writer's context is the field as
 * it held it, which holds its own last write).  An op that did not is
 * malformed: refusing it bounds a field to one value per node, so one node
 * cannot flood a field with siblings.  Every replica that applies node:seq
 * holds node:1..seq-1, so all decide alike (a replica started from a
 * snapshot may lack that history below its base: it then checks what it
 * holds).
 */
static int own_earlier_seen(xa_store *st, const xa_op *op)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_JOURNAL_PREV);
    uint64_t prev = 0;
    int rc;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, op->entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, op->field, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, XA_NODE_TO_DB(op->node));
    sqlite3_bind_int64(s, 5, (sqlite3_int64)op->seq);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        prev = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xa_db_error(st, rc, "reading the journal");
    if (prev && xa_vv_get(&op->ctx, op->node) < prev) {
        char hex[XA_NODE_HEX + 1];
        xa_node_format(op->node, hex);
        st->refused.node = op->node;
        st->refused.seq = op->seq;
        return xa_error_set(XA_EINVAL,
                            "malformed op %s:%llu: its context lacks its own node's earlier"
                            " write %s:%llu to %s %s (a node's writes to a field supersede each"
                            " other); refusing the batch",
                            hex, (unsigned long long)op->seq, hex, (unsigned long long)prev,
                            op->entity, op->field);
    }
    return 0;
}

/*
 * Apply one validated op inside an open transaction: the only place where
 * the journal, have and the fields change.
 */
static int apply_one(xa_store *st, const xa_op *op, xa_apply_result *res)
{
    xa_field_state fs = XA_FIELD_STATE_INIT;
    xa_dot dot = {op->node, op->seq}, *removed = NULL;
    size_t nremoved = 0;
    uint64_t have;
    char node[XA_NODE_HEX + 1], *fctxt = NULL;
    sqlite3_stmt *s;
    int rc, exists, merged;

    rc = have_get(st, op->scope, op->node, &have);
    if (rc < 0)
        return rc;
    if (op->seq <= have) {
        int same = 0;
        rc = same_as_held(st, op, &same);
        if (rc < 0)
            return rc;
        if (same < 0) {
            /* Older than a snapshot: keep it as history; the fields already
             * account for it. */
            if (op->seq > base_get(st, op->scope, op->node))
                return xa_error_set(XA_ECORRUPT, "the journal lacks an op that have[] counts");
            rc = journal_put(st, op);
            if (rc == 0)
                res->duplicates++;
            return rc;
        }
        xa_node_format(op->node, node);
        if (!same) {
            st->refused.node = op->node;
            st->refused.seq = op->seq;
        }
        if (!same)
            return xa_error_set(XA_EFORGED,
                                "forged op: %s:%llu is already held with other content;"
                                " refusing the batch",
                                node, (unsigned long long)op->seq);
        res->duplicates++;
        return 0;
    }
    if (op->seq != have + 1) {
        st->refused.node = op->node;
        st->refused.seq = op->seq;
        xa_node_format(op->node, node);
        return xa_error_set(XA_EGAP,
                            "gap in the seqs of node %s: %llu is held, next op is %llu;"
                            " refusing the batch",
                            node, (unsigned long long)have, (unsigned long long)op->seq);
    }

    rc = own_earlier_seen(st, op);
    if (rc == 0)
        rc = journal_put(st, op);
    if (rc == 0 && (s = xa_db_stmt(st, Q_HAVE_PUT)) == NULL)
        rc = XA_EIO;
    if (rc == 0) {
        sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(op->node));
        sqlite3_bind_int64(s, 3, (sqlite3_int64)op->seq);
        rc = step_done(st, s, "writing have");
    }
    if (rc == 0)
        rc = field_load(st, op->scope, op->entity, op->field, &fs, &exists);
    merged = rc == 0 ? xa_merge_apply(&fs, dot, &op->ctx, &removed, &nremoved) : rc;
    if (merged < 0)
        rc = merged;
    if (merged == 0)
        res->superseded++;
    for (size_t i = 0; merged == 1 && rc == 0 && i < nremoved; i++)
        rc = sib_change(st, Q_SIB_DEL, op, removed[i]);
    if (merged == 1 && rc == 0)
        rc = sib_change(st, Q_SIB_PUT, op, dot);
    if (merged == 1 && rc == 0) {
        fctxt = xa_vv_format(&fs.fctx);
        if (fctxt == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        else if ((s = xa_db_stmt(st, Q_FIELD_PUT)) == NULL)
            rc = XA_EIO;
        else {
            sqlite3_bind_text(s, 1, op->scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, op->entity, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, op->field, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 4, fctxt, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 5, (sqlite3_int64)fs.nsib);
            rc = step_done(st, s, "updating a field");
        }
    }
    if (rc == 0)
        res->applied++;
    free(removed);
    free(fctxt);
    xa_field_state_free(&fs);
    return rc;
}

/*
 * Recompute a field's siblings and context from the journal, inside the
 * caller's transaction.  The merge is order-free, so the journal's order
 * will do.
 */
int xa_field_rebuild(xa_store *st, const char *scope, const char *entity, const char *field)
{
    xa_field_state fs = XA_FIELD_STATE_INIT;
    sqlite3_stmt *s = NULL;
    xa_op op;
    char *fctxt = NULL;
    int rc, step;

    memset(&op, 0, sizeof(op));
    op.scope = (char *)scope;
    op.entity = (char *)entity;
    op.field = (char *)field;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT node, seq, ctx FROM journal WHERE scope = ?1 AND entity = ?2"
                            " AND field = ?3",
                            -1, &s, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return xa_db_error(st, rc, "rebuilding a field");
    }
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
    rc = 0;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        xa_vv ctx = XA_VV_INIT;
        xa_dot d = {XA_NODE_FROM_DB(sqlite3_column_int64(s, 0)),
                    (uint64_t)sqlite3_column_int64(s, 1)};
        rc = xa_vv_parse((const char *)sqlite3_column_text(s, 2), &ctx);
        if (rc == 0) {
            int m = xa_merge_apply(&fs, d, &ctx, NULL, NULL);
            rc = m < 0 ? m : 0;
        }
        xa_vv_free(&ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "rebuilding a field");
    sqlite3_finalize(s);
    s = NULL;
    if (rc == 0) {
        rc = sqlite3_prepare_v2(
            st->db, "DELETE FROM sibling WHERE scope = ?1 AND entity = ?2 AND field = ?3", -1, &s,
            NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
            step = sqlite3_step(s);
            rc = step == SQLITE_DONE ? 0 : xa_db_error(st, step, "rebuilding a field");
        } else {
            rc = xa_db_error(st, rc, "rebuilding a field");
        }
        sqlite3_finalize(s);
    }
    for (size_t i = 0; rc == 0 && i < fs.nsib; i++)
        rc = sib_change(st, Q_SIB_PUT, &op, fs.sib[i]);
    if (rc == 0 && fs.nsib) {
        sqlite3_stmt *q;
        fctxt = xa_vv_format(&fs.fctx);
        if (fctxt == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        else if ((q = xa_db_stmt(st, Q_FIELD_PUT)) == NULL)
            rc = XA_EIO;
        else {
            sqlite3_bind_text(q, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, field, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, fctxt, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 5, (sqlite3_int64)fs.nsib);
            rc = step_done(st, q, "rebuilding a field");
        }
    }
    free(fctxt);
    xa_field_state_free(&fs);
    return rc;
}

int xa_store_new_node(xa_store *st, xa_node *out)
{
    char hex[XA_NODE_HEX + 1];
    xa_node n = 0;
    int rc = new_node_id(&n);

    if (rc == 0) {
        xa_node_format(n, hex);
        rc = meta_put(st, "node", hex);
    }
    if (rc == 0)
        *out = n;
    return rc;
}

int xa_store_take_node(xa_store *st, xa_node n)
{
    char hex[XA_NODE_HEX + 1];

    xa_node_format(n, hex);
    return meta_put(st, "node", hex);
}

void xa_store_adopt_node(xa_store *st, xa_node node)
{
    st->node = node;
    xa_incarnation_adopted(st);
}

int xa_store_reload_node(xa_store *st)
{
    return load_identity(st);
}

int64_t xa_now_ms(void)
{
    return now_ms();
}

static int json_valid(xa_store *st, const char *text)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_JSON_VALID);
    int rc, ok = 0;

    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        ok = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return xa_db_error(st, rc, "checking a value");
    return ok ? 0 : xa_error_set(XA_EINVAL, "the value is not valid JSON");
}

/* The scope this handle may write: a client's own, or any on the server. */
static int check_scope_for(xa_store *st, const char *scope)
{
    int rc = xa_check_scope(scope);

    if (rc == 0 && st->scope[0] && strcmp(st->scope, scope) != 0)
        rc = xa_error_set(XA_ESCOPE, "ops of scope '%s', but this database holds scope '%s'", scope,
                          st->scope);
    return rc;
}

/* Every check a received op must pass before it touches the database. */
int xa_op_validate(xa_store *st, const char *scope, const xa_op *op)
{
    int rc;

    if (op->scope == NULL || strcmp(op->scope, scope) != 0)
        return xa_error_set(XA_ESCOPE, "an op of scope '%s' in a batch for scope '%s'",
                            op->scope ? op->scope : "", scope);
    if (op->node == 0)
        return xa_error_set(XA_EINVAL, "an op has node id 0");
    if (op->seq == 0 || op->seq >= XA_SEQ_MAX)
        return xa_error_set(XA_EINVAL, "an op has seq %llu, outside 1..2^53-1",
                            (unsigned long long)op->seq);
    if (op->hlc < 0)
        return xa_error_set(XA_EINVAL, "an op has a negative clock");
    if (op->value == NULL || op->author == NULL)
        return xa_error_set(XA_EINVAL, "an op lacks a value or an author");
    if ((rc = xa_check_entity(op->entity)) < 0 || (rc = xa_check_field(op->field)) < 0 ||
        (rc = xa_check_author(op->author)) < 0 ||
        (rc = xa_check_value(op->value, strlen(op->value))) < 0 ||
        (rc = json_valid(st, op->value)) < 0)
        return rc;
    for (size_t i = 0; i < op->ctx.n; i++)
        if (op->ctx.e[i].node == 0 || op->ctx.e[i].seq == 0 || op->ctx.e[i].seq >= XA_SEQ_MAX ||
            (i && op->ctx.e[i - 1].node >= op->ctx.e[i].node))
            return xa_error_set(XA_EINVAL, "an op has a malformed context");
    /* An op cannot have seen its own dot or a later one of its node. */
    if (xa_vv_get(&op->ctx, op->node) >= op->seq)
        return xa_error_set(XA_EINVAL, "an op's context covers its own dot");
    return 0;
}

static int by_dot(const void *a, const void *b)
{
    const xa_op *x = *(const xa_op *const *)a, *y = *(const xa_op *const *)b;

    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

/*
 * Checks on a whole batch (sorted by dot) against what is held, inside the
 * transaction and before anything is written:
 *   - causal delivery: every dot an op's context claims is held here or
 *     comes in the same batch, so a damaged or crafted context cannot make
 *     this replica believe it has seen edits it lacks (its own later writes
 *     would then be dropped by rule 1, everywhere);
 *   - the node limit: at most XA_NODES_MAX nodes may write one scope.  Only
 *     a batch that brings a new node past it is refused; nodes already held
 *     keep syncing, so the limit never stops a commune's PCs.
 */
static int batch_check(xa_store *st, const char *scope, const xa_op **order, size_t n)
{
    xa_vv avail = XA_VV_INIT, held = XA_VV_INIT;
    size_t fresh = 0, had = 0;
    int rc = xa_store_have(st, scope, &avail);

    if (rc == 0)
        rc = xa_vv_copy(&held, &avail);
    had = avail.n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const xa_op *op = order[i];
        uint64_t got = xa_vv_get(&avail, op->node);
        if (got == 0 && (i == 0 || order[i - 1]->node != op->node))
            fresh++;
        if (op->seq > got)
            rc = xa_vv_set(&avail, op->node, op->seq);
    }
    if (rc == XA_ETOOBIG || (rc == 0 && avail.n > XA_NODES_MAX)) {
        xa_vv_free(&avail);
        xa_vv_free(&held);
        return xa_error_set(XA_ETOOBIG,
                            "scope %s would be written by more than %d PCs (node ids): it has %zu"
                            " and this batch brings %zu new ones; refusing the batch.  Sync or"
                            " export from a PC that has synced before, and tell the district",
                            scope, XA_NODES_MAX, had, fresh);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const xa_op *op = order[i];
        if (op->seq <= xa_vv_get(&held, op->node))
            continue; /* a duplicate, or a forgery apply_one names */
        for (size_t k = 0; k < op->ctx.n; k++) {
            xa_dot d = op->ctx.e[k];
            if (d.seq > xa_vv_get(&avail, d.node)) {
                char a[XA_NODE_HEX + 1], b[XA_NODE_HEX + 1];
                xa_node_format(op->node, a);
                xa_node_format(d.node, b);
                st->refused.node = op->node;
                st->refused.seq = op->seq;
                rc = xa_error_set(XA_EGAP,
                                  "op %s:%llu claims to have seen %s:%llu, which this replica"
                                  " does not hold and the batch does not carry: apply the"
                                  " edits of %s up to %llu first (a damaged or crafted file"
                                  " never fits); refusing the batch",
                                  a, (unsigned long long)op->seq, b, (unsigned long long)d.seq, b,
                                  (unsigned long long)d.seq);
                break;
            }
        }
    }
    xa_vv_free(&avail);
    xa_vv_free(&held);
    return rc;
}

int xa_store_apply(
    xa_store *st, const char *scope, const xa_op *ops, size_t n, xa_apply_result *res)
{
    xa_apply_result r = {0, 0, 0};
    const xa_op **order = NULL;
    int64_t hlc = 0, maxhlc = 0, cap = now_ms() + HLC_MAX_AHEAD_MS;
    int rc;

    st->refused.node = 0;
    st->refused.seq = 0;
    rc = check_scope_for(st, scope);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = xa_op_validate(st, scope, &ops[i]);
        if (ops[i].hlc > maxhlc)
            maxhlc = ops[i].hlc;
    }
    if (rc < 0)
        return rc;
    if (n == 0) {
        if (res)
            *res = r;
        return 0;
    }
    order = malloc(n * sizeof(*order));
    if (order == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        order[i] = &ops[i];
        if (ops[i].node == st->node)
            st->marker_dirty = 1;
    }
    qsort(order, n, sizeof(*order), by_dot);

    int nested = 0;
    rc = write_begin(st, &nested);
    if (rc == 0)
        rc = batch_check(st, scope, order, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = apply_one(st, order[i], &r);
    /* Keep the clock ahead of what others wrote, within reason. */
    if (rc == 0)
        rc = hlc_read(st, &hlc);
    if (rc == 0 && (maxhlc < cap ? maxhlc : cap) > hlc)
        rc = hlc_write(st, maxhlc < cap ? maxhlc : cap);
    rc = write_end(st, nested, rc);
    free(order);
    if (rc == 0 && res)
        *res = r;
    return rc;
}

int xa_store_set(xa_store *st,
                 const char *scope,
                 const char *entity,
                 const char *field,
                 const char *value,
                 const char *author,
                 int resolve,
                 xa_op *out)
{
    xa_field_state fs = XA_FIELD_STATE_INIT;
    xa_apply_result r = {0, 0, 0};
    xa_op op;
    uint64_t have = 0;
    int64_t hlc = 0, now;
    int rc, exists = 0;

    memset(&op, 0, sizeof(op));
    if ((rc = check_scope_for(st, scope)) < 0 || (rc = xa_check_entity(entity)) < 0 ||
        (rc = xa_check_field(field)) < 0 || (rc = xa_check_author(author)) < 0 ||
        (rc = xa_check_value(value, strlen(value))) < 0 || (rc = json_valid(st, value)) < 0)
        return rc;

    int nested = 0;
    rc = write_begin(st, &nested);
    if (rc == 0)
        rc = field_load(st, scope, entity, field, &fs, &exists);
    if (rc == 0 && !resolve && fs.nsib > 1)
        rc = xa_error_set(XA_ECONFLICT,
                          "%s %s is in conflict (%zu values); settle it with `xasync resolve`",
                          entity, field, fs.nsib);
    if (rc == 0 && resolve && fs.nsib < 2)
        rc = xa_error_set(XA_EINVAL, "%s %s is not in conflict; change it with `xasync set`",
                          entity, field);
    if (rc == 0)
        rc = have_get(st, scope, st->node, &have);
    if (rc == 0)
        rc = hlc_read(st, &hlc);
    if (rc == 0 && xa_vv_get(&fs.fctx, st->node) > have)
        rc = xa_error_set(XA_ECORRUPT,
                          "%s %s claims edits of this PC that it never made (an op with a"
                          " damaged context was applied); nothing was written: run"
                          " `xasync repair`, then write again",
                          entity, field);
    if (rc == 0) {
        now = now_ms();
        op.scope = (char *)scope;
        op.node = st->node;
        op.seq = have + 1;
        op.entity = (char *)entity;
        op.field = (char *)field;
        op.value = (char *)value;
        op.ctx = fs.fctx; /* borrowed: the writer saw the whole field */
        op.hlc = now > hlc ? now : hlc + 1;
        op.author = (char *)author;
        st->marker_dirty = 1;
        rc = apply_one(st, &op, &r);
    }
    if (rc == 0)
        rc = hlc_write(st, op.hlc);
    rc = write_end(st, nested, rc);
    assert(rc < 0 || r.applied == 1);
    if (rc == 0 && out) {
        memset(out, 0, sizeof(*out));
        out->node = op.node;
        out->seq = op.seq;
        out->hlc = op.hlc;
        if ((out->scope = dupstr(scope)) == NULL || (out->entity = dupstr(entity)) == NULL ||
            (out->field = dupstr(field)) == NULL || (out->value = dupstr(value)) == NULL ||
            (out->author = dupstr(author)) == NULL || xa_vv_copy(&out->ctx, &fs.fctx) < 0) {
            xa_op_clear(out);
            rc = xa_error_set(XA_ENOMEM, "out of memory (the edit was saved)");
        }
    }
    xa_field_state_free(&fs);
    return rc;
}
