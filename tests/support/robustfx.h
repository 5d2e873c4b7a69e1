/*
 * The harness of the district server under abuse (issue 11;
 * tests/server/test_robust_*.c): the real `xasync-district` on 127.0.0.1
 * with a district of communes A and B, real `xasync` PCs, and libcurl.
 * Every client is started and stopped by the test, every loop bounded.
 * Include after <cmocka.h>.
 */
#ifndef XA_TEST_ROBUSTFX_H
#define XA_TEST_ROBUSTFX_H

#include "support.h"
#include "util.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define SCOPE_A "hoang-kim"
#define SCOPE_B "hoang-ha"
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct xo_fx {
    char *dir;
    char *ddb;
    char *home;
    char tok_a[128];
    xt_server sv;
} xo_fx;

void xo_read_token(const char *dir, const char *name, char *out, size_t cap);

int xo_setup_with(void **state, const char *const *extra);

int xo_setup(void **state);

/* Short deadlines, so that the slow-client tests take seconds. */
int xo_setup_short(void **state);

/* The memory test's server: under AddressSanitizer, freed memory waits in a
 * quarantine (256 MB by default) before it can go back to the system; a
 * small one lets the test see what the server itself keeps. */
int xo_setup_mem(void **state);

int xo_teardown(void **state);

xt_run xo_xa(const xo_fx *f, const char *const *argv);

xt_run xo_district(const xo_fx *f, const char *const *argv);

#define RUN_OK(r, what)                                                                            \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        if (r_.status != 0)                                                                        \
            fail_msg("%s: exit %d\nstdout: [%s]\nstderr: [%s]", (what), r_.status, r_.out,         \
                     r_.err);                                                                      \
        xt_run_free(&r_);                                                                          \
    } while (0)

char *xo_pc_new(const xo_fx *f, const char *name, const char *scope);

typedef struct xo_hresp {
    CURLcode cc;
    long status;
    char *body;
    size_t n;
} xo_hresp;

/* POST `body` (deflate JSON) or GET when body is NULL, with `token`. */
xo_hresp xo_http(int port, const char *path, const char *token, const void *body, size_t len);

/* A refusal: `status` and {"error": "..."} holding `frag`. */
void xo_refused(const xo_hresp *r, long status, const char *frag);

#endif
