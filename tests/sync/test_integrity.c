/*
 * Nothing lost, nothing stuck: the data-integrity refusals, each through
 * the store, the ops file (`xasync apply`, the real program) and the real
 * district server on a loopback port.
 *
 *   - strings JSON forbids (a raw NUL or control byte inside a string, a
 *     \u0000 escape): cJSON would cut them short, so they are refused;
 *   - a body or ops file of an unknown format version, refused naming both;
 *   - limits checked before commit: 4,097 node ids are refused and nothing
 *     is stored, so the commune keeps syncing;
 *   - a sibling flood (one node, one field, empty contexts): malformed;
 *   - a context claiming ops the receiver lacks (causal delivery).
 *
 * Every refusal checks the message, the status or exit code, and that the
 * database is unchanged (its digest).
 */
#include "support.h"
#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define SCOPE "hoang-kim"
#define NODE "0a0b0c0d0e0f1011"
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- a growing string ------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if (b->p && (size_t)k < room)
            break;
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    b->n += (size_t)k;
}

/* {"nodes": ...} of an ops file or a request: `n` ops of NODE on one field,
 * each with an empty context (a flood), or `n` nodes with one op each. */
static char *flood_nodes(size_t n)
{
    sbuf b = {0};

    sb_add(&b, "\"%s\":[", NODE);
    for (size_t i = 1; i <= n; i++)
        sb_add(&b, "%s[%zu,\"r\",\"x\",\"v%zu\",{},1717200000000,\"a\"]", i > 1 ? "," : "", i, i);
    sb_add(&b, "]");
    return b.p;
}

static char *many_nodes_from(size_t first, size_t n)
{
    sbuf b = {0};

    for (size_t i = first; i < first + n; i++)
        sb_add(&b, "%s\"%016zx\":[[1,\"r\",\"n%zu\",\"v\",{},1717200000000,\"a\"]]",
               i > first ? "," : "", i + 0x1000, i);
    return b.p;
}

static char *many_nodes(size_t n)
{
    sbuf b = {0};

    for (size_t i = 1; i <= n; i++)
        sb_add(&b, "%s\"%016zx\":[[1,\"r\",\"n%zu\",\"v\",{},1717200000000,\"a\"]]",
               i > 1 ? "," : "", i + 0x1000, i);
    return b.p;
}

static char *ops_file(const char *nodes, int version)
{
    sbuf b = {0};

    sb_add(&b, "{\"format\":\"xasync-ops\",\"version\":%d,\"scope\":\"%s\",\"nodes\":{%s}}",
           version, SCOPE, nodes);
    return b.p;
}

static char *request(const char *node, const char *nodes, int version)
{
    sbuf b = {0};

    sb_add(&b,
           "{\"format\":\"xasync-sync\",\"version\":%d,\"scope\":\"%s\",\"node\":\"%s\","
           "\"have\":{},\"max\":1000,\"nodes\":{%s}}",
           version, SCOPE, node, nodes);
    return b.p;
}

static void expect_rc_at(int rc, int want, const char *frag, const char *file, int line)
{
    if (rc != want)
        fail_msg("%s:%d: got %d (%s), want %d (%s): %s", file, line, rc, xa_error_name(rc), want,
                 xa_error_name(want), rc < 0 ? xa_error_last() : "");
    if (frag && strstr(xa_error_last(), frag) == NULL)
        fail_msg("%s:%d: message '%s' lacks '%s'", file, line, xa_error_last(), frag);
}
#define EXPECT_RC(rc, want, frag) expect_rc_at((rc), (want), (frag), __FILE__, __LINE__)

static void must_run(const char *const *argv, const char *what);

/* ---- fixture: a PC database and a district server ------------------------- */

typedef struct fx {
    char *dir;
    char *pc; /* dir/pc.db */
    char *ddb;
    char tok[128];
    xt_server sv;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE, NULL};
    xa_store *st = NULL;

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->pc = xt_path(f->dir, "pc.db");
    if (xa_store_create(&st, f->pc, SCOPE) != 0)
        return -1;
    xa_store_close(st);
    f->ddb = xt_district_setup(f->dir, scopes);
    {
        char *p = xt_path(f->dir, SCOPE ".token");
        size_t n = 0;
        char *t = xt_read_file(p, &n);
        while (n && (t[n - 1] == '\n' || t[n - 1] == ' '))
            n--;
        assert_true(n > 0 && n < sizeof f->tok);
        memcpy(f->tok, t, n);
        f->tok[n] = '\0';
        free(t);
        free(p);
    }
    xt_server_start(&f->sv, f->ddb, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f->sv.pid > 0)
        xt_server_stop(&f->sv, SIGTERM);
    free(f->pc);
    free(f->ddb);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct hresp {
    long status;
    sbuf body;
} hresp;

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    sbuf *b = ud;

    sb_add(b, "%.*s", (int)(size * nmemb), d);
    return size * nmemb;
}

/* POST a request's JSON text, deflated with the dictionary. */
static hresp post_text(const fx *f, const char *text, size_t len)
{
    hresp r = {0, {0}};
    unsigned char *packed = NULL;
    size_t plen = 0;
    char url[128], auth[200];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();

    assert_int_equal(xa_pack(&packed, &plen, text, len, XA_PACK_DICT), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/scopes/%s/sync", f->sv.port, SCOPE);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->tok);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: " XA_MEDIA_CHANGESET);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)packed);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(packed);
    if (r.body.p == NULL)
        sb_add(&r.body, "");
    return r;
}

static void refused_at(const fx *f,
                       const char *text,
                       size_t len,
                       long status,
                       const char *frag,
                       const char *file,
                       int line)
{
    uint64_t before = xt_db_digest(f->ddb);
    hresp r = post_text(f, text, len);

    if (r.status != status)
        fail_msg("%s:%d: want HTTP %ld, got %ld: %s", file, line, status, r.status, r.body.p);
    if (frag && strstr(r.body.p, frag) == NULL)
        fail_msg("%s:%d: answer '%s' lacks '%s'", file, line, r.body.p, frag);
    if (xt_db_digest(f->ddb) != before)
        fail_msg("%s:%d: the refused request changed the district database", file, line);
    free(r.body.p);
}
#define REFUSED(f, text, len, status, frag)                                                        \
    refused_at((f), (text), (len), (status), (frag), __FILE__, __LINE__)

/* The PC's database unchanged by a refused `xasync apply FILE`. */
static void apply_refused_at(
    const fx *f, const char *text, size_t len, const char *frag, const char *file, int line)
{
    char *path = xt_path(f->dir, "ops.json");
    uint64_t before = xt_db_digest(f->pc);
    xt_run r;

    xt_write_file(path, text, len);
    r = xt_xasync(ARGV("--db", f->pc, "apply", path), NULL, NULL);
    if (r.status != 1)
        fail_msg("%s:%d: apply: want exit 1, got %d (stderr: %s)", file, line, r.status, r.err);
    if (frag && strstr(r.err, frag) == NULL)
        fail_msg("%s:%d: apply: stderr '%s' lacks '%s'", file, line, r.err, frag);
    if (xt_db_digest(f->pc) != before)
        fail_msg("%s:%d: the refused apply changed the database", file, line);
    xt_run_free(&r);
    free(path);
}
#define APPLY_REFUSED(f, text, len, frag)                                                          \
    apply_refused_at((f), (text), (len), (frag), __FILE__, __LINE__)

/* ---- strings ----------------------------------------------------------- */

/* An op whose value is `value` (raw bytes between the quotes); *outlen
 * (if not NULL) is the text's length, raw NULs included. */
static char *one_op_nodes_n(const char *value, size_t vlen, size_t *outlen)
{
    sbuf b = {0};

    sb_add(&b, "\"%s\":[[1,\"r\",\"x\",\"", NODE);
    for (size_t i = 0; i < vlen; i++) {
        if (b.n + 2 > b.cap) {
            b.cap = b.cap * 2 + 16;
            b.p = realloc(b.p, b.cap);
        }
        b.p[b.n++] = value[i];
        b.p[b.n] = '\0';
    }
    sb_add(&b, "\",{},1717200000000,\"a\"]]");
    if (outlen)
        *outlen = b.n;
    return b.p;
}

static char *one_op_nodes(const char *value, size_t vlen)
{
    return one_op_nodes_n(value, vlen, NULL);
}

/* The text with its real length (a raw NUL inside). */
static size_t text_len(const char *nodes, size_t nodes_len, int is_request, char **out)
{
    char *t = is_request ? request(NODE, "@", 1) : ops_file("@", 1);
    char *at = strchr(t, '@');
    size_t pre = (size_t)(at - t), post = strlen(at + 1);

    *out = malloc(pre + nodes_len + post + 1);
    memcpy(*out, t, pre);
    memcpy(*out + pre, nodes, nodes_len);
    memcpy(*out + pre + nodes_len, at + 1, post + 1);
    free(t);
    return pre + nodes_len + post;
}

static const struct {
    const char *what;
    const char *value;
    size_t len;
    const char *frag;
} bad_strings[] = {
    {"a raw NUL", "a\0b", 3, "NUL"},
    {"an escaped NUL", "a\\u0000b", 8, "NUL"},
    {"a raw control byte", "a\001b", 3, "control character"},
    {"a raw newline", "a\nb", 3, "control character"},
};

static void test_integrity__strings_json_forbids_refused_by_the_codec(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        size_t nl = 0;
        char *nodes = one_op_nodes_n(bad_strings[i].value, bad_strings[i].len, &nl), *t;
        xa_op_list l = XA_OP_LIST_INIT;
        xa_sync_msg m;

        size_t len = text_len(nodes, nl, 0, &t);
        EXPECT_RC(xa_codec_decode(&l, t, len, SCOPE), XA_EINVAL, bad_strings[i].frag);
        assert_int_equal(l.n, 0);
        free(t);
        len = text_len(nodes, nl, 1, &t);
        xa_sync_msg_init(&m);
        EXPECT_RC(xa_sync_msg_decode(&m, t, len, SCOPE, 1), XA_EINVAL, bad_strings[i].frag);
        assert_int_equal(m.ops.n, 0);
        free(t);
        free(nodes);
    }
    /* escaped control characters are JSON and are kept whole */
    {
        char *nodes = one_op_nodes("a\\u0001b\\nc", 11), *t;
        xa_op_list l = XA_OP_LIST_INIT;
        size_t len = text_len(nodes, strlen(nodes), 0, &t);
        EXPECT_RC(xa_codec_decode(&l, t, len, SCOPE), 0, NULL);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.ops[0].value, "\"a\\u0001b\\nc\"");
        xa_op_list_free(&l);
        free(t);
        free(nodes);
    }
}

static void test_integrity__nul_in_a_value_refused_by_server_and_apply(void **state)
{
    fx *f = *state;

    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        size_t nl = 0;
        char *nodes = one_op_nodes_n(bad_strings[i].value, bad_strings[i].len, &nl), *t;
        size_t len = text_len(nodes, nl, 1, &t);
        REFUSED(f, t, len, 400, bad_strings[i].frag);
        free(t);
        len = text_len(nodes, nl, 0, &t);
        APPLY_REFUSED(f, t, len, bad_strings[i].frag);
        free(t);
        free(nodes);
    }
    /* and the server stored nothing of node NODE: a good op 1 is accepted */
    char *nodes = one_op_nodes("ab", 2), *t = request(NODE, nodes, 1);
    hresp r = post_text(f, t, strlen(t));
    assert_int_equal(r.status, 200);
    free(r.body.p);
    free(t);
    free(nodes);
}

/* ---- versions ------------------------------------------------------------ */

static void test_integrity__unknown_version_refused_naming_both(void **state)
{
    fx *f = *state;
    char *nodes = one_op_nodes("ab", 2);
    char *t = request(NODE, nodes, 99);

    REFUSED(f, t, strlen(t), 400, "version 99; this xasync reads version 1");
    free(t);
    t = ops_file(nodes, 99);
    APPLY_REFUSED(f, t, strlen(t), "ops file version 99; this xasync reads version 1");
    free(t);
    /* another format name */
    t = request(NODE, nodes, 1);
    memcpy(strstr(t, "xasync-sync"), "xasync-elsa", 11);
    REFUSED(f, t, strlen(t), 400, "format 'xasync-elsa'");
    free(t);
    free(nodes);
}

/* ---- limits before commit ----------------------------------------------- */

static void test_integrity__node_limit_refused_before_commit(void **state)
{
    fx *f = *state;
    char *nodes = many_nodes(XA_NODES_MAX + 1);
    char *t;

    /* a PC of the commune syncs first */
    char *pc2 = xt_path(f->dir, "pc2.db");
    xt_pc_setup(f->dir, pc2, SCOPE, f->sv.port);
    must_run(ARGV("--db", pc2, "set", "r", "x", "1"), "set");
    must_run(ARGV("--db", pc2, "sync"), "first sync");

    /* 4,095 more node ids in requests of at most 1,000 ops (the server's
     * bound per request): accepted (4,096 in all); one more: 413 and
     * nothing committed */
    for (size_t first = 1; first < XA_NODES_MAX; first += 1000) {
        size_t k = XA_NODES_MAX - first < 1000 ? XA_NODES_MAX - first : 1000;
        char *part = many_nodes_from(first, k);
        t = request(NODE, part, 1);
        hresp r = post_text(f, t, strlen(t));
        if (r.status != 200)
            fail_msg("nodes %zu..%zu: %ld %s", first, first + k - 1, r.status, r.body.p);
        free(r.body.p);
        free(t);
        free(part);
    }
    char *last = many_nodes_from(XA_NODES_MAX, 3);
    t = request(NODE, last, 1);
    REFUSED(f, t, strlen(t), 413, "more than 4096 PCs");
    free(t);
    free(last);
    t = ops_file(nodes, 1);
    APPLY_REFUSED(f, t, strlen(t), "more than 4096 PCs");
    free(t);
    free(nodes);

    /* the commune is not bricked: its PC syncs as ever */
    must_run(ARGV("--db", pc2, "set", "r", "x", "2"), "set");
    xt_run r = xt_xasync(ARGV("--db", pc2, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("sync after the refused flood of nodes: %s", r.err);
    xt_run_free(&r);
    /* a new PC cannot join, and is told why */
    char *pc3 = xt_path(f->dir, "pc3.db");
    xt_pc_setup(f->dir, pc3, SCOPE, f->sv.port);
    must_run(ARGV("--db", pc3, "set", "r", "y", "1"), "set");
    r = xt_xasync(ARGV("--db", pc3, "sync"), NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "more than 4096 PCs"));
    xt_run_free(&r);
    free(pc2);
    free(pc3);
}

/* ---- the sibling flood ---------------------------------------------------- */

static void test_integrity__sibling_flood_refused_as_malformed(void **state)
{
    fx *f = *state;
    char *nodes = flood_nodes(1000); /* the most the server takes in one request */
    char *t = request(NODE, nodes, 1);

    REFUSED(f, t, strlen(t), 400, "lacks its own node's earlier write");
    free(t);
    free(nodes);
    nodes = flood_nodes(10000);
    t = ops_file(nodes, 1);
    APPLY_REFUSED(f, t, strlen(t), "lacks its own node's earlier write");
    free(t);
    free(nodes);

    /* the same node writing the field again, having seen its own write, is
     * fine: one value */
    nodes = NULL;
    {
        sbuf b = {0};
        sb_add(&b,
               "\"%s\":[[1,\"r\",\"x\",\"v1\",{},1717200000000,\"a\"],"
               "[2,\"r\",\"x\",\"v2\",{\"%s\":1},1717200000001,\"a\"]]",
               NODE, NODE);
        nodes = b.p;
    }
    t = request(NODE, nodes, 1);
    hresp r = post_text(f, t, strlen(t));
    assert_int_equal(r.status, 200);
    free(r.body.p);
    free(t);
    free(nodes);
}

/* ---- contexts ------------------------------------------------------------ */

static void test_integrity__context_claiming_unheld_ops_refused(void **state)
{
    fx *f = *state;
    sbuf b = {0};
    char *t;

    /* story 3: one op claims seq 9,000,000 of another PC */
    sb_add(&b, "\"%s\":[[1,\"r\",\"x\",\"v\",{\"00000000000000aa\":9000000},1717200000000,\"a\"]]",
           NODE);
    t = request(NODE, b.p, 1);
    REFUSED(f, t, strlen(t), 409, "00000000000000aa:9000000");
    free(t);
    t = ops_file(b.p, 1);
    APPLY_REFUSED(f, t, strlen(t), "does not hold and the batch does not carry");
    free(t);
    free(b.p);

    /* the PC's own writes keep working and keep their value */
    xt_run r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "mine"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "mine"));
    xt_run_free(&r);
}

/* Story 3 on a database an older xasync left poisoned: a foreign op whose
 * context claims a huge seq of this PC, and this PC's later write dropped
 * by it.  `xasync repair` sets the foreign op aside and brings the write
 * back under a new node id. */
static void test_integrity__repair_recovers_a_poisoned_pc(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    sqlite3 *db = NULL;
    char sql[1024];
    xa_node self;
    xt_run r;

    assert_int_equal(xa_store_open(&st, f->pc), 0);
    self = xa_store_node(st);
    assert_int_equal(xa_store_set(st, SCOPE, "r", "x", "\"a\"", "clerk", 0, NULL), 0);
    assert_int_equal(xa_store_set(st, SCOPE, "r", "y", "\"other\"", "clerk", 0, NULL), 0);
    xa_store_close(st);

    /* what the older apply and set wrote, row for row */
    char hex[XA_NODE_HEX + 1];
    xa_node_format(self, hex);
    assert_int_equal(sqlite3_open(f->pc, &db), SQLITE_OK);
    snprintf(
        sql, sizeof sql,
        "BEGIN;"
        "INSERT INTO journal VALUES ('%s', %lld, 1, 'r', 'x', '\"evil\"', '%s:9000000', 1, 'm');"
        "INSERT INTO have VALUES ('%s', %lld, 1);"
        "DELETE FROM sibling WHERE entity = 'r' AND field = 'x';"
        "INSERT INTO sibling VALUES ('%s', 'r', 'x', %lld, 1);"
        "UPDATE field SET fctx = '00000000000000aa:1,%s:9000000', nsib = 1 WHERE entity = 'r'"
        " AND field = 'x';"
        "INSERT INTO journal VALUES ('%s', %lld, 3, 'r', 'x', '\"b\"',"
        " '00000000000000aa:1,%s:9000000', 2, 'clerk');"
        "UPDATE have SET seq = 3 WHERE node = %lld;"
        "COMMIT;",
        SCOPE, (long long)0xaa, hex, SCOPE, (long long)0xaa, SCOPE, (long long)0xaa, hex, SCOPE,
        (long long)self, hex, (long long)self);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("poisoning: %s", err);
    sqlite3_close(db);

    /* the clerk's write "b" is not shown; a new one is refused, saying what
     * to do, and nothing is written */
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_null(strstr(r.out, "\"b\"") ? r.out : NULL);
    xt_run_free(&r);
    uint64_t before = xt_db_digest(f->pc);
    r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "c"), NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "xasync repair"));
    xt_run_free(&r);
    assert_true(xt_db_digest(f->pc) == before);

    r = xt_xasync(ARGV("--db", f->pc, "repair"), NULL, NULL);
    if (r.status != 0)
        fail_msg("repair: %s", r.err);
    if (strstr(r.out, "1 ops of other PCs set aside") == NULL)
        fail_msg("repair said: %s / %s", r.out, r.err);
    assert_non_null(strstr(r.out, "1 of this PC's edits moved"));
    xt_run_free(&r);

    /* the write is back, unconflicted; the other field untouched */
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "b\n");
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "y"), NULL, NULL);
    assert_string_equal(r.out, "other\n");
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "c"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_string_equal(r.out, "c\n");
    xt_run_free(&r);
    /* the set-aside op is kept */
    assert_int_equal(sqlite3_open(f->pc, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM quarantine", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(db);

    /* and the PC syncs: the district takes every op it holds */
    char url[64], *tok = xt_path(f->dir, SCOPE ".token");
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->sv.port);
    r = xt_xasync(ARGV("--db", f->pc, "remote", "set", url, "--token-file", tok), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    free(tok);
    r = xt_xasync(ARGV("--db", f->pc, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("sync after repair: %s", r.err);
    xt_run_free(&r);
    /* a second repair finds nothing */
    r = xt_xasync(ARGV("--db", f->pc, "repair"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "nothing to repair\n");
    xt_run_free(&r);
}

/* ---- the editor's bodies ---------------------------------------------- */

/* POST a raw body to the editor; the status. */
static long ui_post(int port, const char *secret, const char *body, size_t len, sbuf *out)
{
    char url[96], host[64], sec[128];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    long status = 0;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/set", port);
    snprintf(host, sizeof host, "Host: 127.0.0.1:%d", port);
    snprintf(sec, sizeof sec, "X-Xasync-Secret: %s", secret);
    h = curl_slist_append(h, host);
    h = curl_slist_append(h, sec);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return status;
}

static void test_integrity__editor_refuses_nul_in_a_body(void **state)
{
    fx *f = *state;
    int out[2];
    pid_t pid;
    char line[256] = "", secret[64] = "";
    int port = 0;

    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(XA_BIN, XA_BIN, "--db", f->pc, "ui", "--listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *rd = fdopen(out[0], "r");
    while (fgets(line, sizeof line, rd)) {
        char *p = strstr(line, "http://127.0.0.1:");
        if (p) {
            port = atoi(p + 17);
            break;
        }
    }
    fclose(rd);
    assert_true(port > 0);
    /* the secret, from the page */
    {
        char url[64];
        sbuf page = {0};
        CURL *c = curl_easy_init();
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &page);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_cleanup(c);
        char *m = strstr(page.p, "name=\"xasync-secret\" content=\"");
        assert_non_null(m);
        m += strlen("name=\"xasync-secret\" content=\"");
        size_t n = strcspn(m, "\"");
        assert_true(n > 0 && n < sizeof secret);
        memcpy(secret, m, n);
        free(page.p);
    }

    static const char body[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"ab\0cd\"}";
    uint64_t before = xt_db_digest(f->pc);
    sbuf ans = {0};
    long st = ui_post(port, secret, body, sizeof body - 1, &ans);
    if (st != 400 || strstr(ans.p, "NUL") == NULL)
        fail_msg("editor: want 400 naming the NUL, got %ld: %s", st, ans.p ? ans.p : "");
    free(ans.p);
    assert_true(xt_db_digest(f->pc) == before);
    /* a raw control byte inside the string too */
    static const char body2[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"ab\001cd\"}";
    memset(&ans, 0, sizeof ans);
    st = ui_post(port, secret, body2, sizeof body2 - 1, &ans);
    assert_int_equal(st, 400);
    free(ans.p);
    assert_true(xt_db_digest(f->pc) == before);
    /* and the same body, well formed, saves */
    static const char good[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"abcd\"}";
    memset(&ans, 0, sizeof ans);
    st = ui_post(port, secret, good, sizeof good - 1, &ans);
    if (st != 200)
        fail_msg("editor: a good body: %ld %s", st, ans.p ? ans.p : "");
    free(ans.p);

    kill(pid, SIGTERM);
    int ws = 0;
    waitpid(pid, &ws, 0);
    xt_run r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_string_equal(r.out, "abcd\n");
    xt_run_free(&r);
}

/* ---- dots reused unseen: a restored or copied PC, by USB ---------------- */

static void must_run(const char *const *argv, const char *what)
{
    xt_run r = xt_xasync(argv, NULL, NULL);

    if (r.status != 0)
        fail_msg("%s: exit %d: %s", what, r.status, r.err);
    xt_run_free(&r);
}

static char *out_of(const char *const *argv)
{
    xt_run r = xt_xasync(argv, NULL, NULL);
    char *o;

    if (r.status != 0)
        fail_msg("%s: exit %d: %s", argv[2], r.status, r.err);
    o = strdup(r.out);
    xt_run_free(&r);
    return o;
}

/* The USB exchange from `from` to `to`: `to`'s have, `from`'s export for
 * it, `to` applies.  The apply's run (the caller frees it). */
static xt_run usb(const fx *f, const char *from, const char *to)
{
    char *have = out_of(ARGV("--db", to, "have"));
    char *hp = xt_path(f->dir, "have.json"), *op = xt_path(f->dir, "ops.json");
    xt_write_file(hp, have, strlen(have));
    char *ops = out_of(ARGV("--db", from, "export-ops", "--have", hp));
    xt_write_file(op, ops, strlen(ops));
    xt_run r = xt_xasync(ARGV("--db", to, "apply", op), NULL, NULL);
    free(have);
    free(ops);
    free(hp);
    free(op);
    return r;
}

/* Backups, restores and clones here are disk images (the record beside the
 * file travels with it): the cases only the meeting of copies can find.  A
 * plain file copy takes a new id at once: tests/sync/test_incarnation.c. */
static void copy_db(const char *from, const char *to)
{
    xt_copy_db_image(from, to);
}

static void set3(const char *db, const char *prefix, const char *value)
{
    for (int i = 1; i <= 3; i++) {
        char field[16];
        snprintf(field, sizeof field, "%s%d", prefix, i);
        must_run(ARGV("--db", db, "set", "r", field, value), "set");
    }
}

/* Both hold the same edits, and every one of the twelve (c1..c3 common,
 * x1..x3 of the first incarnation, y1..y3 of the second, z of the other
 * PC) is there. */
static void converged(const char *a, const char *b, const char *xv, const char *yv)
{
    char *sa = out_of(ARGV("--db", a, "show"));
    char *sb = out_of(ARGV("--db", b, "show"));
    char *ha = out_of(ARGV("--db", a, "have"));
    char *hb = out_of(ARGV("--db", b, "have"));

    assert_string_equal(sa, sb);
    assert_string_equal(ha, hb);
    for (int i = 1; i <= 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "r\tx%d\t%s", i, xv);
        if (strstr(sa, want) == NULL)
            fail_msg("lost %s in:\n%s", want, sa);
        snprintf(want, sizeof want, "r\ty%d\t%s", i, yv);
        if (strstr(sa, want) == NULL)
            fail_msg("lost %s in:\n%s", want, sa);
    }
    assert_null(strstr(sa, "CONFLICT"));
    free(sa);
    free(sb);
    free(ha);
    free(hb);
}

/* Story 1: a PC restored from its backup makes three edits that reuse the
 * seqs of three made after the backup; the other PC holds those.  The USB
 * exchange used to report success both ways and diverge for good. */
static void test_integrity__restored_pc_by_usb_both_ways(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *b = xt_path(f->dir, "b.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xt_run r;

    must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    must_run(ARGV("--db", b, "init", "--scope", SCOPE), "init b");
    set3(a, "c", "common");
    copy_db(a, bak); /* the backup */
    set3(a, "x", "before-restore");
    r = usb(f, a, b);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    copy_db(bak, a); /* restored */
    set3(a, "y", "after-restore");

    /* B meets A's second incarnation: found, refused, B unchanged */
    uint64_t db_b = xt_db_digest(b);
    r = usb(f, a, b);
    if (r.status != 1 || strstr(r.err, "restored from a backup or copied") == NULL)
        fail_msg("B took A's reused dots: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(b) == db_b);

    /* A meets B's copy of its first incarnation: A moves its new edits */
    r = usb(f, b, a);
    if (r.status != 1 || strstr(r.err, "3 edits since then now carry a new id") == NULL)
        fail_msg("A did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);

    /* the exchange as documented, both ways, now converges */
    r = usb(f, b, a);
    if (r.status != 0)
        fail_msg("B to A after the re-key: %s", r.err);
    xt_run_free(&r);
    r = usb(f, a, b);
    if (r.status != 0)
        fail_msg("A to B after the re-key: %s", r.err);
    xt_run_free(&r);
    converged(a, b, "before-restore", "after-restore");
    free(a);
    free(b);
    free(bak);
}

/* A restored PC hands its new edits to a third PC, then moves them to a new
 * id when it meets the second PC's copy of its first incarnation.  The third
 * PC's file would bring them back under their old dots (the same edits
 * twice, once per id): refused; the third PC, given the restored PC's file,
 * makes the same move (the same new id, the same ops); then all three
 * converge with every edit once. */
static void test_integrity__moved_edits_do_not_come_back_by_usb(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *b = xt_path(f->dir, "b.db"), *c = xt_path(f->dir, "c.db"),
         *bak = xt_path(f->dir, "a-backup.db");
    xt_run r;

    must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    must_run(ARGV("--db", b, "init", "--scope", SCOPE), "init b");
    must_run(ARGV("--db", c, "init", "--scope", SCOPE), "init c");
    set3(a, "c", "common");
    copy_db(a, bak);
    set3(a, "x", "before-restore");
    r = usb(f, a, b);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    copy_db(bak, a);
    set3(a, "y", "after-restore");
    r = usb(f, a, c); /* C takes the second incarnation */
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = usb(f, b, a); /* A meets the first one: it moves its new edits */
    if (r.status != 1 || strstr(r.err, "now carry a new id") == NULL)
        fail_msg("A did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);

    /* C's file brings them back under the old dots: refused, A unchanged */
    uint64_t before = xt_db_digest(a);
    r = usb(f, c, a);
    if (r.status != 1 || strstr(r.err, "has moved to a new id") == NULL)
        fail_msg("A took back its moved edits: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(a) == before);

    /* C takes A's file: it makes the same move, and the exchange is
     * repeated */
    r = usb(f, a, c);
    if (r.status != 1 || strstr(r.err, "has moved them the same way") == NULL)
        fail_msg("C did not follow A's move: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    static const char *const order[][2] = {{"a", "c"}, {"c", "a"}, {"b", "a"}, {"a", "b"},
                                           {"b", "c"}, {"c", "b"}, {"a", "c"}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *from = order[i][0][0] == 'a' ? a : order[i][0][0] == 'b' ? b : c;
        const char *to = order[i][1][0] == 'a' ? a : order[i][1][0] == 'b' ? b : c;
        r = usb(f, from, to);
        if (r.status != 0)
            fail_msg("%s to %s: %s", order[i][0], order[i][1], r.err);
        xt_run_free(&r);
    }
    converged(a, b, "before-restore", "after-restore");
    converged(a, c, "before-restore", "after-restore");
    /* every edit once: 3 common, 3 first incarnation, 3 moved */
    char *log = out_of(ARGV("--db", a, "export-ops", "--all"));
    cJSON *j = cJSON_Parse(log), *nodes = cJSON_GetObjectItem(j, "nodes");
    assert_int_equal(cJSON_GetArraySize(nodes), 2); /* A's first id and its new one */
    cJSON_Delete(j);
    free(log);
    free(a);
    free(b);
    free(c);
    free(bak);
}

/* A PC copied to another machine: both write under one node id. */
static void test_integrity__cloned_pc_by_usb(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "clone.db");
    xt_run r;

    must_run(ARGV("--db", a, "init", "--scope", SCOPE), "init a");
    set3(a, "c", "common");
    copy_db(a, c);
    set3(a, "x", "on-a");
    set3(c, "y", "on-clone");

    /* the clone applies A's file: its own dots differ, it re-keys */
    r = usb(f, a, c);
    if (r.status != 1 || strstr(r.err, "now carry a new id") == NULL)
        fail_msg("the clone did not re-key: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    r = usb(f, a, c);
    if (r.status != 0)
        fail_msg("A to the clone: %s", r.err);
    xt_run_free(&r);
    r = usb(f, c, a);
    if (r.status != 0)
        fail_msg("the clone to A: %s", r.err);
    xt_run_free(&r);
    converged(a, c, "on-a", "on-clone");
    /* and the two PCs now write under two ids */
    char *ha = out_of(ARGV("--db", a, "have"));
    cJSON *j = cJSON_Parse(ha);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    free(ha);
    free(a);
    free(c);
}

/* Story 2: the restored PC hands its new edits to a second PC by USB
 * before it syncs.  The second PC used to get 409 "forged" on every sync,
 * forever. */
static void test_integrity__restored_pc_usb_then_sync(void **state)
{
    fx *f = *state;
    char *a = xt_path(f->dir, "a.db"), *c = xt_path(f->dir, "c.db"),
         *bak = xt_path(f->dir, "a-backup.db");

    xt_pc_setup(f->dir, a, SCOPE, f->sv.port);
    xt_pc_setup(f->dir, c, SCOPE, f->sv.port);
    set3(a, "c", "common");
    must_run(ARGV("--db", a, "sync"), "sync a");
    copy_db(a, bak);
    set3(a, "x", "before-restore");
    must_run(ARGV("--db", a, "sync"), "sync a");
    copy_db(bak, a);
    set3(a, "y", "after-restore");
    xt_run r = usb(f, a, c);
    if (r.status != 0)
        fail_msg("A to C by USB: %s", r.err);
    xt_run_free(&r);
    must_run(ARGV("--db", c, "set", "r", "z", "on-c"), "set on c");

    /* C syncs: its copies of A's new edits move to a new id, nothing lost */
    r = xt_xasync(ARGV("--db", c, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("C's sync with A's reused dots: exit %d: %s", r.status, r.err);
    xt_run_free(&r);
    must_run(ARGV("--db", a, "sync"), "sync a after c");
    must_run(ARGV("--db", c, "sync"), "sync c again");
    must_run(ARGV("--db", a, "sync"), "sync a again");

    char *sa = out_of(ARGV("--db", a, "show")), *sc = out_of(ARGV("--db", c, "show"));
    assert_string_equal(sa, sc);
    static const char *const want[] = {"r\tc1\tcommon",         "r\tx1\tbefore-restore",
                                       "r\tx3\tbefore-restore", "r\ty1\tafter-restore",
                                       "r\ty3\tafter-restore",  "r\tz\ton-c"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(sa, want[i]) == NULL)
            fail_msg("lost %s in:\n%s", want[i], sa);
    /* A and C moved the same three edits to the same new id: they meet as
     * one edit each, not as a conflict of an edit with its own copy */
    if (strstr(sa, "CONFLICT") != NULL)
        fail_msg("an edit met its own copy as a conflict:\n%s", sa);
    char *ha = out_of(ARGV("--db", a, "have")), *hc = out_of(ARGV("--db", c, "have"));
    assert_string_equal(ha, hc);
    cJSON *hj = cJSON_Parse(ha);
    assert_int_equal(cJSON_GetArraySize(hj), 3); /* A's old id, its new one, C */
    cJSON_Delete(hj);
    free(ha);
    free(hc);
    free(sa);
    free(sc);
    free(a);
    free(c);
    free(bak);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integrity__strings_json_forbids_refused_by_the_codec),
        cmocka_unit_test_setup_teardown(test_integrity__nul_in_a_value_refused_by_server_and_apply,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_integrity__unknown_version_refused_naming_both, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__node_limit_refused_before_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__sibling_flood_refused_as_malformed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__context_claiming_unheld_ops_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__repair_recovers_a_poisoned_pc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__editor_refuses_nul_in_a_body, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__restored_pc_by_usb_both_ways, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__cloned_pc_by_usb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integrity__moved_edits_do_not_come_back_by_usb, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity__restored_pc_usb_then_sync, setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(failed);
}
