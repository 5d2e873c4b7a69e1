/* The compression tests' harness (tests/sync/test_changeset_*.c), on top of: packfx.h. */
#include "packfx.h"

#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

char xp_untouched_byte;

const char *xp_kind_name(int kind)
{
    return kind == XA_PACK_DICT      ? "DICT"
           : kind == XA_PACK_DEFLATE ? "DEFLATE"
           : kind == XA_PACK_GZIP    ? "GZIP"
                                     : "?";
}

/* The report as one text, paragraphs apart.  malloc'd. */
char *xp_report_text(size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < NREPORT; i++)
        n += strlen(REPORT[i]) + 2;
    char *t = malloc(n + 1), *p = t;
    assert_non_null(t);
    for (size_t i = 0; i < NREPORT; i++) {
        size_t l = strlen(REPORT[i]);
        memcpy(p, REPORT[i], l);
        p += l;
        *p++ = '\n';
        *p++ = '\n';
    }
    *p = '\0';
    *len = n;
    return t;
}

/* Deterministic random bytes (xorshift64*), so a failure can be replayed. */
void xp_fill_random(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = (unsigned char)((x * 0x2545f4914f6cdd1dULL) >> 56);
    }
}

unsigned char *xp_pack_ok(const char *text, size_t len, int kind, size_t *outlen)
{
    unsigned char *out = NULL;
    *outlen = 0;
    int rc = xa_pack(&out, outlen, text, len, kind);
    if (rc != 0)
        fail_msg("pack %s of %zu bytes: rc %d (%s)", xp_kind_name(kind), len, rc, xa_error_last());
    assert_non_null(out);
    assert_true(*outlen > 0);
    return out;
}

/* Unpack from an exact-size buffer and expect the given text back. */
void xp_unpack_expect_text(const unsigned char *in,
                           size_t inlen,
                           int kind,
                           size_t max_out,
                           const char *want,
                           size_t wantlen)
{
    unsigned char *buf = xm_exact_copy(in, inlen);
    char *out = NULL;
    size_t outlen = 0;
    int rc = xa_unpack(&out, &outlen, buf, inlen, kind, max_out);
    if (rc != 0)
        fail_msg("unpack %s of %zu bytes (max_out %zu, want %zu bytes): rc %d (%s)",
                 xp_kind_name(kind), inlen, max_out, wantlen, rc, xa_error_last());
    assert_non_null(out);
    assert_int_equal(outlen, wantlen);
    if (wantlen && memcmp(out, want, wantlen) != 0)
        fail_msg("unpack %s: %zu bytes came back different", xp_kind_name(kind), wantlen);
    assert_int_equal(out[outlen], '\0');
    free(out);
    free(buf);
}

/* Unpack from an exact-size buffer; expect `want` (an error) and the outputs
 * left as they were.  Returns the code. */
int xp_unpack_expect_code(
    const unsigned char *in, size_t inlen, int kind, size_t max_out, int want, const char *what)
{
    unsigned char *buf = xm_exact_copy(in, inlen);
    char *out = OUT_SENTINEL;
    size_t outlen = OUTLEN_SENTINEL;
    int rc = xa_unpack(&out, &outlen, buf, inlen, kind, max_out);
    if (rc != want) {
        if (rc == 0)
            free(out);
        fail_msg("unpack %s of %s (%zu bytes, max_out %zu): rc %d (%s), want %d (%s)",
                 xp_kind_name(kind), what, inlen, max_out, rc, rc ? xa_error_last() : "accepted",
                 want, xa_error_name(want));
    }
    if (out != OUT_SENTINEL || outlen != OUTLEN_SENTINEL)
        fail_msg("unpack %s of %s: refused with %d but wrote its outputs", xp_kind_name(kind), what,
                 rc);
    free(buf);
    return rc;
}

uint32_t xp_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A zlib (or gzip) stream of `nzeros` zero bytes, made without holding them:
 * the zip bomb.  malloc'd. */
unsigned char *xp_zeros_stream(size_t nzeros, int gzip, size_t *outlen)
{
    static const unsigned char zero[64 * 1024];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, gzip ? 15 + 16 : 15, 9,
                                  Z_DEFAULT_STRATEGY),
                     Z_OK);
    /* deflate's best ratio is about 1032:1 */
    size_t cap = nzeros / 512 + 4096;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    for (size_t left = nzeros; left > 0;) {
        size_t n = left < sizeof zero ? left : sizeof zero;
        z.next_in = (Bytef *)(uintptr_t)zero;
        z.avail_in = (uInt)n;
        assert_int_equal(deflate(&z, Z_NO_FLUSH), Z_OK);
        assert_int_equal(z.avail_in, 0);
        assert_true(z.avail_out > 0);
        left -= n;
    }
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

double xp_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long xp_maxrss_kib(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

/* A request from NODE_B with ops of two nodes, interleaved. */
void xp_request_make(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", SCOPE);
    m->node = NODE_B;
    assert_int_equal(xa_vv_set(&m->have, NODE_A, 3), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_B, 2), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_C, SEQ_TOP), 0);
    m->max = 500;

    char *title = xm_json_string(REPORT[7]);
    char *para = xm_json_string(REPORT[14]);
    const xa_dot a1[1] = {{NODE_A, 1}};
    const xa_dot a2b1[2] = {{NODE_A, 2}, {NODE_B, 1}};
    xt_mkop(xm_push(&m->ops), SCOPE, NODE_A, 1, "meta", "title", title, NULL, 0, 1719792000123LL,
            "Nguyễn Thị Hoa");
    xt_mkop(xm_push(&m->ops), SCOPE, NODE_B, 1, "ind-4", "est", "\"1.472\"", a1, 1, 1719792000200LL,
            "Lê Văn \"Bình\"");
    xt_mkop(xm_push(&m->ops), SCOPE, NODE_A, 2, "para/014", "text", para, a1, 1, 1719792000300LL,
            "Nguyễn Thị Hoa");
    xt_mkop(xm_push(&m->ops), SCOPE, NODE_B, 2, "ind-4", "note", "{\"dvt\":\"tấn\",\"sl\":[1,2]}",
            a2b1, 2, 1719792000400LL, "Lê Văn \"Bình\"");
    xt_mkop(xm_push(&m->ops), SCOPE, NODE_A, 3, "para/014", "pos", "0.5", a2b1, 2, 1719792000500LL,
            "Nguyễn Thị Hoa");
    free(title);
    free(para);
}

void xp_check_header(const unsigned char *p, size_t len, int kind)
{
    if (kind == XA_PACK_GZIP) {
        assert_true(len >= 18);
        assert_int_equal(p[0], 0x1f);
        assert_int_equal(p[1], 0x8b);
        assert_int_equal(p[2], 8);
        return;
    }
    /* zlib (RFC 1950): CM 8, a 32 KiB window, the check bits, FDICT */
    assert_true(len >= 6);
    assert_int_equal(p[0] & 0x0f, 8);
    assert_true((p[0] >> 4) <= 7);
    assert_int_equal(((unsigned)p[0] << 8 | p[1]) % 31, 0);
    assert_int_equal((p[1] & 0x20) != 0, kind == XA_PACK_DICT);
}
