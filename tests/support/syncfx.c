/* The sync's test harness (tests/sync/test_sync_*.c): the real: syncfx.h. */
#include "syncfx.h"

#include "xasync/vv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
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

int xy_setup(void **state)
{
    xy_fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    *state = f;
    f->dir = xt_tempdir();
    f->home = xt_cat2("HOME=", f->dir);
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

int xy_teardown(void **state)
{
    xy_fx *f = *state;

    if (f == NULL)
        return 0;
    xt_kill_child(&f->bg_pid);
    xt_kill_child(&f->portal_pid);
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

xt_run xy_xa(const xy_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_xasync(argv, NULL, env);
}

xt_run xy_district(const xy_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

void xy_ok_at(const xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: expected exit 0, got %d\nstdout: [%s]\nstderr: [%s]", file, line, what,
                 r->status, r->out, r->err);
}

/* Run `xasync --db DB ...` that must succeed; return its stdout (caller
 * frees). */
char *xy_xa_out_at(const xy_fx *f, const char *const *argv, const char *file, int line)
{
    xt_run r = xy_xa(f, argv);
    char *out;

    xy_ok_at(&r, argv[2], file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

/* `xasync set` of one field through the real command. */
void xy_set_at(
    const xy_fx *f, const char *db, const char *ent, const char *fld, const char *val, int line)
{
    char *out =
        xy_xa_out_at(f, ARGV("--db", db, "set", ent, fld, val, "--author", AUTHOR), __FILE__, line);
    free(out);
}

xy_synced xy_parse_synced_at(const xt_run *r, const char *file, int line)
{
    xy_synced s = {0, 0, 0};
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
xy_synced xy_sync_ok_at(const xy_fx *f, const char *db, const char *file, int line)
{
    xt_run r = xy_xa(f, ARGV("--db", db, "sync"));
    xy_synced s;

    xy_ok_at(&r, "sync", file, line);
    s = xy_parse_synced_at(&r, file, line);
    xt_run_free(&r);
    return s;
}

/* Run `xasync sync` on `db`, require exit 0 and exactly these counts. */
void xy_sync_expect_at(const xy_fx *f,
                       const char *db,
                       unsigned long long sent,
                       unsigned long long received,
                       const char *file,
                       int line)
{
    xy_synced s = xy_sync_ok_at(f, db, file, line);

    if (s.sent != sent || s.received != received)
        fail_msg("%s:%d: sync of %s: expected sent %llu, received %llu; got sent %llu, "
                 "received %llu",
                 file, line, db, sent, received, s.sent, s.received);
}

/* `xasync status --json`, parsed (caller deletes). */
cJSON *xy_status_json(const xy_fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "status", "--json");
    cJSON *j = cJSON_Parse(out);

    if (j == NULL || !cJSON_IsObject(j))
        fail_msg("status --json is not a JSON object: [%s]", out);
    free(out);
    return j;
}

double xy_status_pending(const xy_fx *f, const char *db)
{
    cJSON *j = xy_status_json(f, db);
    cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pending");
    double v;

    if (!cJSON_IsNumber(p))
        fail_msg("status --json has no number 'pending'");
    v = p->valuedouble;
    cJSON_Delete(j);
    return v;
}

/* A JSON document as text: for comparing two states exactly. */
char *xy_json_trimmed(char *s)
{
    size_t n = strlen(s);

    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

/* Two PCs hold the same version vector (`xasync have`). */
void xy_same_have_at(const xy_fx *f, const char *da, const char *db, int line)
{
    char *ha = XA_OUT(f, "--db", da, "have", "--json"),
         *hb = XA_OUT(f, "--db", db, "have", "--json");

    if (strcmp(ha, hb) != 0)
        fail_msg("%s:%d: version vectors differ:\n  %s: %s\n  %s: %s", __FILE__, line, da, ha, db,
                 hb);
    free(ha);
    free(hb);
}

/* The open conflicts the district counts for a commune
 * (`xasync-district communes --json`). */
int xy_district_conflicts(const xy_fx *f, const char *scope)
{
    xt_run r = xy_district(f, ARGV("--db", f->ddb, "communes", "--json"));
    cJSON *j, *it;
    int n = -1;

    MUST_OK(r, "xasync-district communes");
    j = xy_parse_array(r.out);
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
char *xy_pc_state(const xy_fx *f, const char *db)
{
    return xy_json_trimmed(XA_OUT(f, "--db", db, "show", "--json"));
}

/* `xasync-district show SCOPE --json` (caller frees). */
char *xy_server_state(const xy_fx *f, const char *scope)
{
    xt_run r = xy_district(f, ARGV("--db", f->ddb, "show", scope, "--json"));
    char *out;

    MUST_OK(r, "xasync-district show");
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return xy_json_trimmed(out);
}

cJSON *xy_parse_array(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (j == NULL || !cJSON_IsArray(j))
        fail_msg("not a JSON array: [%.300s]", text);
    return j;
}

/* The field (entity, field) of a parsed state, or NULL. */
cJSON *xy_find_field(cJSON *state, const char *entity, const char *field)
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
int xy_field_values(cJSON *fieldobj, const char **vals, int max)
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
void xy_expect_value_at(cJSON *state, const char *ent, const char *fld, const char *want, int line)
{
    cJSON *fo = xy_find_field(state, ent, fld);
    const char *vals[8];
    int n;

    if (fo == NULL)
        fail_msg("%s:%d: %s %s is missing", __FILE__, line, ent, fld);
    n = xy_field_values(fo, vals, 8);
    if (n != 1 || strcmp(vals[0], want) != 0)
        fail_msg("%s:%d: %s %s: expected the one value [%s], got %d value(s), first [%s]", __FILE__,
                 line, ent, fld, want, n, n ? vals[0] : "");
}

int64_t xy_journal_count(const char *path, const char *scope)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE scope = '%s'", scope);
    return xt_q_int(path, sql);
}

/* A replica's node id, as stored in its meta table. */
xa_node xy_node_of(const char *path)
{
    sqlite3 *db = xt_db_open_ro(path);
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

int64_t xy_node_count(const char *path, const char *scope, xa_node node)
{
    char sql[200];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE scope = '%s' AND node = %lld",
             scope, (long long)node);
    return xt_q_int(path, sql);
}

/* Every op of `scope` in a journal, one line each, by (node, seq): two equal
 * dumps mean the same dots with the same content.  Caller frees. */
char *xy_journal_dump(const char *path, const char *scope, size_t *rows)
{
    sqlite3 *db = xt_db_open_ro(path);
    sqlite3_stmt *s = NULL;
    xt_sbuf b = {NULL, 0, 0};
    size_t n = 0;
    int rc;

    xt_sb_add(&b, "", 0);
    if (sqlite3_prepare_v2(db,
                           "SELECT printf('%016x|%d|%s|%s|%s|%s|%d|%s', node, seq, entity, field,"
                           " value, ctx, hlc, author) FROM journal WHERE scope = ?1"
                           " ORDER BY node, seq",
                           -1, &s, NULL) != SQLITE_OK)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xt_sb_add(&b, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        xt_sb_add(&b, "\n", 1);
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
void xy_same_journal_at(const char *pa, const char *pb, const char *scope, int line)
{
    size_t na = 0, nb = 0;
    char *a = xy_journal_dump(pa, scope, &na), *b = xy_journal_dump(pb, scope, &nb);

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

/* Every op `sub` holds, `full` holds the same (a PC started from a snapshot
 * holds the current ops, not the whole history).  Both dumps are in the
 * same (node, seq) order, so one walk does. */
void xy_journal_within_at(const char *sub, const char *full, const char *scope, int line)
{
    size_t ns = 0, nf = 0;
    char *a = xy_journal_dump(sub, scope, &ns), *b = xy_journal_dump(full, scope, &nf);
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

/* What a PC believes the server holds (its one acked row; caller frees). */
char *xy_acked_text(const char *path)
{
    sqlite3 *db = xt_db_open_ro(path);
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

void xy_bulk_value(char *out, size_t cap, const char *prefix, int i)
{
    snprintf(out, cap, "dòng %d của %s: kết quả thi đua", i, prefix);
}

void xy_bulk_entity(char *out, size_t cap, const char *prefix, int i)
{
    snprintf(out, cap, "%s-%05d", prefix, i);
}

/* Edits prefix-00001 .. prefix-N, field "text", through xa_store_set (what
 * `xasync set` calls), with no xasync process running on `path`. */
void xy_bulk_set(const char *path, const char *prefix, int n)
{
    xa_store *st = NULL;

    if (xa_store_open(&st, path) != 0)
        fail_msg("cannot open %s", path);
    for (int i = 1; i <= n; i++) {
        char ent[64], text[128], *json;
        cJSON *s;
        int rc;

        xy_bulk_entity(ent, sizeof ent, prefix, i);
        xy_bulk_value(text, sizeof text, prefix, i);
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
void xy_expect_bulk(cJSON *state, const char *prefix, int n)
{
    for (int i = 1; i <= n; i++) {
        char ent[64], text[128];

        xy_bulk_entity(ent, sizeof ent, prefix, i);
        xy_bulk_value(text, sizeof text, prefix, i);
        EXPECT_VALUE(state, ent, "text", text);
    }
}

/* Every field of a parsed state has exactly one value. */
void xy_expect_no_conflict(cJSON *state)
{
    cJSON *it;

    cJSON_ArrayForEach(it, state)
    {
        const char *vals[8];
        cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "entity");
        int n = xy_field_values(it, vals, 8);

        if (n != 1)
            fail_msg("%s has %d values", cJSON_IsString(e) ? e->valuestring : "?", n);
    }
}

void xy_remote_set(const xy_fx *f, const char *db, const char *token_scope, int port)
{
    char url[64], name[96], *tok, *out;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(name, sizeof name, "%s.token", token_scope);
    tok = xt_path(f->dir, name);
    out = XA_OUT(f, "--db", db, "remote", "set", url, "--token-file", tok);
    free(out);
    free(tok);
}

int xy_connect_local(int port)
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
int xy_http_get(int port, const char *path, const char *token, char **body)
{
    char req[1024];
    xt_sbuf b = {NULL, 0, 0};
    int fd = xy_connect_local(port), status = 0, n;
    int64_t deadline = xt_mono_ms() + 10000;

    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                 "Connection: close\r\n\r\n",
                 path, token);
    assert_true(n > 0 && (size_t)n < sizeof req);
    if (write(fd, req, (size_t)n) != n)
        fail_msg("write: %s", strerror(errno));
    xt_sb_add(&b, "", 0);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int64_t left = deadline - xt_mono_ms();
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
        xt_sb_add(&b, chunk, (size_t)r);
    }
    close(fd);
    if (sscanf(b.p, "HTTP/1.%*d %d", &status) != 1)
        fail_msg("GET %s: not an HTTP answer: [%.200s]", path, b.p);
    *body = b.p;
    return status;
}

char *xy_read_token(const xy_fx *f, const char *scope)
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
int xy_portal_start(xy_fx *f)
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
int xy_sync_background(xy_fx *f, const char *db)
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
int xy_wait_background(xy_fx *f)
{
    int64_t deadline = xt_mono_ms() + WAIT_MS;
    int st = 0;

    for (;;) {
        pid_t r = waitpid((pid_t)f->bg_pid, &st, WNOHANG);

        if (r == (pid_t)f->bg_pid)
            break;
        if (xt_mono_ms() > deadline) {
            xt_kill_child(&f->bg_pid);
            fail_msg("the background sync did not end in %d s", WAIT_MS / 1000);
        }
        xt_sleep_ms(10);
    }
    f->bg_pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Copy a live SQLite database with the online backup API (xt_db_backup),
 * and the record beside it (xt_copy_db_marker), as a disk image holds it. */
void xy_db_backup(const char *src, const char *dst)
{
    xt_db_backup(src, dst);
    /* as a disk image would hold it: the record beside the file too, so
     * the copy put back keeps its node id and the district must find the
     * reused dots (a file put back alone takes a new id at once:
     * tests/sync/test_incarnation.c) */
    xt_copy_db_marker(src, dst);
}

/* The number of values (siblings) in a parsed state. */
int xy_count_values(cJSON *state)
{
    cJSON *it;
    int n = 0;

    cJSON_ArrayForEach(it, state)
    {
        const char *vals[8];
        n += xy_field_values(it, vals, 8);
    }
    return n;
}

/* A fresh PC's first sync got everything: either the history (every op),
 * or a snapshot of the state (docs/design.md: "It then holds every op up to that
 * vector in effect") plus any history past it.  Either way, what it
 * reports matches what its journal gained, and it holds the same version
 * vector and state as `ref`. */
void xy_fresh_sync_at(const xy_fx *f, const char *db, const char *ref, int line)
{
    xy_synced s = xy_sync_ok_at(f, db, __FILE__, line);
    int64_t held = xy_journal_count(db, KIM);
    char *st = xy_pc_state(f, db), *rs = xy_pc_state(f, ref);
    cJSON *j = xy_parse_array(st);

    if (s.sent != 0)
        fail_msg("%s:%d: a fresh PC sent %llu ops", __FILE__, line, s.sent);
    if (s.snap == 0 && (int64_t)s.received != held)
        fail_msg("%s:%d: a fresh PC reported %llu ops received and holds %lld", __FILE__, line,
                 s.received, (long long)held);
    if (s.snap != 0 && (s.snap != (unsigned long long)cJSON_GetArraySize(j) ||
                        (int64_t)s.received + xy_count_values(j) != held))
        fail_msg("%s:%d: a fresh PC reported a snapshot of %llu fields and %llu ops; it holds "
                 "%d fields, %d values, %lld ops",
                 __FILE__, line, s.snap, s.received, cJSON_GetArraySize(j), xy_count_values(j),
                 (long long)held);
    if (strcmp(st, rs) != 0)
        fail_msg("%s:%d: after a first sync, %s and %s show different states", __FILE__, line, db,
                 ref);
    cJSON_Delete(j);
    free(st);
    free(rs);
    xy_same_have_at(f, db, ref, line);
    xy_journal_within_at(db, f->ddb, KIM, line);
}
