/*
 * The district server's test harness (tests/server/test_server_*.c): the
 * real `xasync-district serve` on 127.0.0.1, a port chosen by the OS, spoken
 * to with libcurl directly (so every header and body is the test's choice)
 * and by real `xasync` PCs.
 *
 * What a refusal must look like, everywhere: the documented 4xx status, a
 * Content-Type of application/json, a body that is a JSON object with a
 * non-empty "error" string, and the district database as it was (same
 * logical digest, read through SQLite, so the WAL is seen).
 *
 * Every test has its own folder, district database (communes A and B, a
 * district token) and server; teardown stops the server with SIGTERM and
 * fails unless it exits 0.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_SERVERFX_H
#define XA_TEST_SERVERFX_H

#include "support.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define SCOPE_A "hoang-kim"
#define SCOPE_B "hoang-ha"
#define REPORT "report-2024-h1"

/* Largest answer the tests read; a bigger one fails the test. */
#define RESP_MAX ((size_t)64 * 1024 * 1024)
#define HTTP_TIMEOUT_S 120L

typedef struct xv_fx {
    char *dir;
    char *ddb;  /* dir/district.db */
    char *home; /* "HOME=dir" */
    char tok_a[128], tok_b[128], tok_d[128];
    xt_server sv;
} xv_fx;

void xv_read_token(const char *dir, const char *name, char *out, size_t cap);

int xv_setup(void **state);

/* Stops the server with SIGTERM: a clean stop is exit 0, else the test
 * fails here. */
int xv_teardown(void **state);

/* The server is still running (not exited, not killed). */
void xv_assert_alive(xv_fx *f);

/* Restart the server with `extra` options. */
void xv_restart(xv_fx *f, const char *const *extra);

typedef struct xv_hreq {
    const char *method; /* "GET", "POST" or another verb */
    const char *path;
    const char *token; /* NULL: no Authorization header */
    const char *auth;  /* a whole Authorization value instead of the token */
    const char *ctype; /* NULL: no Content-Type */
    const char *cenc;  /* NULL: no Content-Encoding */
    const unsigned char *body;
    size_t len;
    int chunked;       /* send the body chunked, with no Content-Length */
    const char *extra; /* one more header line, or NULL */
} xv_hreq;

typedef struct xv_hresp {
    CURLcode cc;
    long status; /* 0: no HTTP answer */
    char ctype[128];
    char cenc[64];
    char wwwauth[128];
    char *body; /* NUL-terminated */
    size_t n;
    int over;
} xv_hresp;

typedef struct xv_upload {
    const unsigned char *p;
    size_t len, off;
} xv_upload;

/* One request on a fresh connection, bounded by HTTP_TIMEOUT_S. */
xv_hresp xv_http(const xv_fx *f, const xv_hreq *q);

void xv_hresp_free(xv_hresp *r);

xv_hresp xv_get(const xv_fx *f, const char *path, const char *token);

/* POST a body packed as `kind`, with that kind's headers. */
xv_hresp xv_post_kind(const xv_fx *f,
                      const char *path,
                      const char *token,
                      int kind,
                      const unsigned char *b,
                      size_t n);

const char *xv_sync_path(const char *scope);

const char *xv_state_path(const char *scope);

/* A sync request's text: `nodes` is the inside of the "nodes" object. */
char *xv_req_text(const char *scope, const char *node, const char *nodes);

unsigned char *xv_pack(const char *text, size_t len, int kind, size_t *outlen);

/* A well-formed request of `scope` with one op (node, seq) and its packing. */
unsigned char *xv_one_op_body(
    const char *scope, const char *node, int seq, const char *value, int kind, size_t *n);

/* A refusal: `status`, JSON, an "error" string.  Returns the parsed body
 * (the caller frees it with cJSON_Delete). */
cJSON *xv_refused_at(const xv_hresp *r, long status, const char *file, int line);

#define REFUSED(r, status) xv_refused_at(&(r), (status), __FILE__, __LINE__)

/* Same, when nothing else in the body is to be checked. */
#define MUST_REFUSE(r, status) cJSON_Delete(REFUSED(r, status))

void xv_ok_json_at(const xv_hresp *r, const char *file, int line);

#define MUST_OK_JSON(r) xv_ok_json_at(&(r), __FILE__, __LINE__)
#define SAME_DB(f, before) assert_int_equal(xt_db_digest((f)->ddb), (before))

const char *xv_str_member(const cJSON *o, const char *name);

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

xt_run xv_xa(const xv_fx *f, const char *const *argv);

xt_run xv_district(const xv_fx *f, const char *const *argv);

void xv_must_ok_at(xt_run *r, const char *what, const char *file, int line);

#define RUN_OK(r, what)                                                                            \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        xv_must_ok_at(&r_, (what), __FILE__, __LINE__);                                            \
    } while (0)

/* A PC of `scope` at dir/<name>, its remote set to this server. */
char *xv_pc_new(const xv_fx *f, const char *name, const char *scope);

void xv_pc_set(
    const xv_fx *f, const char *db, const char *entity, const char *field, const char *v);

void xv_pc_sync(const xv_fx *f, const char *db);

/* The PC's ops, as an ops file parsed (cJSON_Delete it). */
cJSON *xv_pc_export(const xv_fx *f, const char *db);

/* An exported ops file made into a sync request of `scope` (the ops are
 * relabelled), packed as `kind`. */
unsigned char *xv_export_to_request(cJSON *ops, const char *scope, int kind, size_t *n);

/* stderr is one line "xasync-district: ...\n" holding `frag`, stdout
 * empty, exit `code`. */
void xv_district_error_at(xt_run *r, int code, const char *frag, const char *file, int line);

#define DISTRICT_ERROR(r, code, frag)                                                              \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        xv_district_error_at(&r_, (code), (frag), __FILE__, __LINE__);                             \
    } while (0)

/* A PC of A wrote a title and an indicator, and synced. */
void xv_pc_reported(const xv_fx *f);

/* A cmocka test with the fixture above. */
#define XV_TEST(name) cmocka_unit_test_setup_teardown(name, xv_setup, xv_teardown)

#endif
