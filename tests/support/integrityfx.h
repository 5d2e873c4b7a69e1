/*
 * The data-integrity tests' harness (tests/sync/test_integrity_*.c): a PC
 * database and the real district server on a loopback port, requests and
 * ops files made by hand (floods, many nodes, a given version), posting
 * them, and checking a refusal by the server or by `xasync apply`: the
 * message, the status or exit code, and the database unchanged (its
 * digest).  Include after <cmocka.h>.
 */
#ifndef XA_TEST_INTEGRITYFX_H
#define XA_TEST_INTEGRITYFX_H

#include "support.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

#define SCOPE "hoang-kim"
#define NODE "0a0b0c0d0e0f1011"
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct xg_sbuf {
    char *p;
    size_t n, cap;
} xg_sbuf;

void xg_sb_add(xg_sbuf *b, const char *fmt, ...);

/* {"nodes": ...} of an ops file or a request: `n` ops of NODE on one field,
 * each with an empty context (a flood), or `n` nodes with one op each. */
char *xg_flood_nodes(size_t n);

char *xg_many_nodes_from(size_t first, size_t n);

char *xg_many_nodes(size_t n);

char *xg_ops_file(const char *nodes, int version);

char *xg_request(const char *node, const char *nodes, int version);

void xg_expect_rc_at(int rc, int want, const char *frag, const char *file, int line);

#define EXPECT_RC(rc, want, frag) xg_expect_rc_at((rc), (want), (frag), __FILE__, __LINE__)

typedef struct xg_fx {
    char *dir;
    char *pc; /* dir/pc.db */
    char *ddb;
    char tok[128];
    xt_server sv;
} xg_fx;

int xg_setup(void **state);

int xg_teardown(void **state);

typedef struct xg_hresp {
    long status;
    xg_sbuf body;
} xg_hresp;

/* POST a request's JSON text, deflated with the dictionary. */
xg_hresp xg_post_text(const xg_fx *f, const char *text, size_t len);

void xg_refused_at(const xg_fx *f,
                   const char *text,
                   size_t len,
                   long status,
                   const char *frag,
                   const char *file,
                   int line);

#define REFUSED(f, text, len, status, frag)                                                        \
    xg_refused_at((f), (text), (len), (status), (frag), __FILE__, __LINE__)

/* The PC's database unchanged by a refused `xasync apply FILE`. */
void xg_apply_refused_at(
    const xg_fx *f, const char *text, size_t len, const char *frag, const char *file, int line);

#define APPLY_REFUSED(f, text, len, frag)                                                          \
    xg_apply_refused_at((f), (text), (len), (frag), __FILE__, __LINE__)

/* An op whose value is `value` (raw bytes between the quotes); *outlen
 * (if not NULL) is the text's length, raw NULs included. */
char *xg_one_op_nodes_n(const char *value, size_t vlen, size_t *outlen);

char *xg_one_op_nodes(const char *value, size_t vlen);

/* The text with its real length (a raw NUL inside). */
size_t xg_text_len(const char *nodes, size_t nodes_len, int is_request, char **out);

/* Run `xasync ARGV` that must exit 0. */
void xg_must_run(const char *const *argv, const char *what);

/* libcurl's write callback into an xg_sbuf. */
size_t xg_on_body(char *d, size_t size, size_t nmemb, void *ud);

#endif
