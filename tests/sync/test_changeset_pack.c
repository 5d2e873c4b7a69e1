/*
 * Tests of changeset compression (include/xasync/changeset.h): xa_pack and
 * xa_unpack, the three kinds of sync body.  The messages themselves are
 * tested in test_changeset_msg_trip.c and test_changeset_msg_refusals.c.
 *
 * What must hold:
 *   1. unpack(pack(x, kind), kind) gives back x byte for byte, for each of
 *      the three kinds, from the empty text to 1 MiB of random bytes; the
 *      result is NUL-terminated.  A text is packed whole or refused, never
 *      cut.
 *   2. The preset dictionary pays for itself on a realistic message, and a
 *      DICT body is a zlib stream whose header says so (FDICT, DICTID).
 *   3. Unpack trusts nothing: a body that is not compressed, not of its
 *      kind, cut short, damaged, followed by anything, or made with a
 *      dictionary this build does not hold is refused with XA_EINVAL; one
 *      that inflates past max_out is refused with XA_ETOOBIG after bounded
 *      work (a zip bomb costs at most max_out).  max_out is exact: a body of
 *      exactly max_out bytes is accepted.  A refusal leaves *out and *outlen
 *      as they were.
 *   4. Unpack reads no byte past inlen (bodies are passed in buffers of
 *      exactly inlen bytes, so AddressSanitizer sees an overread).
 *
 * The seed report is not at a fixed path in CI, so report-like Vietnamese
 * text is written here instead.
 *
 * This suite: the bounds, round trips, bodies of standard tools, an unknown
 * kind, the dictionary on a realistic message.  The harness:
 * tests/support/packfx.h.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "packfx.h"
#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

/* ---- compression: bounds ------------------------------------------------ */

/* Runs first, while the process's peak memory is still small, so that the
 * peak can show the bomb was not inflated whole. */
static void test_changeset__unpack_stops_a_zip_bomb(void **state)
{
    (void)state;
    const size_t zeros = 100 * 1000 * 1000;
    for (int gzip = 0; gzip <= 1; gzip++) {
        size_t blen = 0;
        unsigned char *bomb = xp_zeros_stream(zeros, gzip, &blen);
        assert_true(blen < zeros / 500);
        /* a plain zlib stream is also what a DICT body may be */
        const int kinds[2] = {gzip ? XA_PACK_GZIP : XA_PACK_DEFLATE, XA_PACK_DICT};
        for (size_t k = 0; k < (gzip ? 1u : 2u); k++) {
            long rss0 = xp_maxrss_kib();
            double t0 = xp_now_s();
            xp_unpack_expect_code(bomb, blen, kinds[k], MIB, XA_ETOOBIG, "100 MB of zeros");
            double dt = xp_now_s() - t0;
            long grew = xp_maxrss_kib() - rss0;
            print_message(
                "zip bomb %s: %zu bytes -> %zu, refused in %.3f s, peak memory +%ld KiB\n",
                xp_kind_name(kinds[k]), blen, zeros, dt, grew);
            /* inflating it whole would take 100 MB; the bound is 1 MiB.
             * How long the refusal takes is bench/bench_unpack's figure. */
            if (grew > 32 * 1024)
                fail_msg("unpacking the bomb raised the peak memory by %ld KiB", grew);
        }
        free(bomb);
    }
}

static void test_changeset__unpack_max_out_is_exact(void **state)
{
    (void)state;
    size_t rlen = 0;
    char *report = xp_report_text(&rlen);
    /* sizes around the buffer's first capacity (4096 or 4 x inlen) and its
     * doublings, compressible and not */
    const size_t sizes[] = {1, 2, 100, 4095, 4096, 4097, 8191, 8192, 8193, 65536, 100003};
    const size_t big = 100003;
    char *text = malloc(big);
    unsigned char *noise = malloc(big);
    assert_non_null(text);
    assert_non_null(noise);
    for (size_t i = 0; i < big; i++)
        text[i] = report[i % rlen];
    xp_fill_random(noise, big, 42);

    for (size_t k = 0; k < NKINDS; k++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int random = 0; random <= 1; random++) {
                size_t n = sizes[s], plen = 0;
                const char *src = random ? (const char *)noise : text;
                unsigned char *p = xp_pack_ok(src, n, KINDS[k], &plen);
                xp_unpack_expect_text(p, plen, KINDS[k], n, src, n);
                xp_unpack_expect_code(p, plen, KINDS[k], n - 1, XA_ETOOBIG, "max_out one short");
                if (n > 1)
                    xp_unpack_expect_code(p, plen, KINDS[k], n / 2, XA_ETOOBIG, "max_out half");
                xp_unpack_expect_code(p, plen, KINDS[k], 0, XA_ETOOBIG, "max_out 0");
                free(p);
            }
        }
        /* the empty text fits in max_out 0 */
        size_t plen = 0;
        unsigned char *p = xp_pack_ok("", 0, KINDS[k], &plen);
        xp_unpack_expect_text(p, plen, KINDS[k], 0, "", 0);
        free(p);
    }
    free(noise);
    free(text);
    free(report);
}

/* max_out is a bound, and SIZE_MAX is a bound like any other: the largest
 * (a caller with no limit of its own may pass it). */
static void test_changeset__unpack_accepts_the_largest_max_out(void **state)
{
    (void)state;
    size_t rlen = 0, plen = 0;
    char *report = xp_report_text(&rlen);
    for (size_t k = 0; k < NKINDS; k++) {
        unsigned char *p = xp_pack_ok(report, rlen, KINDS[k], &plen);
        xp_unpack_expect_text(p, plen, KINDS[k], SIZE_MAX - 1, report, rlen);
        xp_unpack_expect_text(p, plen, KINDS[k], SIZE_MAX, report, rlen);
        free(p);
    }
    free(report);
}

/* zlib counts its input in 32-bit uInt: a text of 4 GiB and more must be
 * packed whole or refused, never cut to its length modulo 2^32.  (The text
 * is zero pages that are never written: it costs no memory.) */
static void test_changeset__pack_does_not_cut_a_text_over_4_gib(void **state)
{
    (void)state;
    size_t len = ((size_t)1 << 32) + 16;
    void *t = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED)
        xt_skip("cannot map 4 GiB of address space (ulimit -v?)");
    for (size_t k = 0; k < NKINDS; k++) {
        unsigned char *p = NULL;
        size_t plen = 0;
        int rc = xa_pack(&p, &plen, t, len, KINDS[k]);
        if (rc != 0) {
            assert_int_equal(rc, XA_ETOOBIG);
            continue;
        }
        /* packed whole, it inflates past 1 MiB */
        char *out = NULL;
        size_t outlen = 0;
        rc = xa_unpack(&out, &outlen, p, plen, KINDS[k], MIB);
        if (rc == 0) {
            free(out);
            fail_msg("pack %s of %zu bytes gave a body of %zu bytes that inflates to %zu bytes",
                     xp_kind_name(KINDS[k]), len, plen, outlen);
        }
        assert_int_equal(rc, XA_ETOOBIG);
        free(p);
    }
    munmap(t, len);
}

/* ---- compression: round trips ------------------------------------------- */

static void test_changeset__pack_round_trip_every_kind(void **state)
{
    (void)state;
    size_t rlen = 0, mlen = 0;
    char *report = xp_report_text(&rlen);
    xa_sync_msg m;
    xp_request_make(&m);
    char *msg = xm_encode_ok(&m, 1, &mlen);
    unsigned char *noise = malloc(MIB);
    assert_non_null(noise);
    xp_fill_random(noise, MIB, 7);

    const struct {
        const char *name;
        const char *text;
        size_t len;
    } samples[] = {
        {"the empty text", "", 0},
        {"a sync request", msg, mlen},
        {"the report", report, rlen},
        {"1 MiB of random bytes", (const char *)noise, MIB},
    };
    for (size_t k = 0; k < NKINDS; k++) {
        for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
            size_t plen = 0;
            unsigned char *p = xp_pack_ok(samples[s].text, samples[s].len, KINDS[k], &plen);
            xp_check_header(p, plen, KINDS[k]);
            print_message("%-8s %-22s %8zu -> %8zu bytes\n", xp_kind_name(KINDS[k]),
                          samples[s].name, samples[s].len, plen);
            if (s == 2)
                assert_true(plen < rlen / 2);
            if (s == 3) /* incompressible: stored, with little overhead */
                assert_true(plen < MIB + MIB / 100);
            xp_unpack_expect_text(p, plen, KINDS[k], samples[s].len, samples[s].text,
                                  samples[s].len);
            xp_unpack_expect_text(p, plen, KINDS[k], 16 * MIB, samples[s].text, samples[s].len);
            free(p);
        }
    }
    free(noise);
    free(msg);
    xa_sync_msg_clear(&m);
    free(report);
}

/* Bodies made by other zlib users (curl, Python, a proxy) are read too. */
static void test_changeset__unpack_reads_bodies_of_standard_tools(void **state)
{
    (void)state;
    size_t rlen = 0;
    char *report = xp_report_text(&rlen);

    /* compress2(), at each level */
    for (int level = 0; level <= 9; level += 3) {
        uLongf clen = compressBound((uLong)rlen);
        unsigned char *c = malloc(clen);
        assert_non_null(c);
        assert_int_equal(compress2(c, &clen, (const Bytef *)report, (uLong)rlen, level), Z_OK);
        xp_unpack_expect_text(c, clen, XA_PACK_DEFLATE, rlen, report, rlen);
        free(c);
    }

    /* gzip with a file name and a time in its header, as gzip(1) writes */
    z_stream z;
    gz_header h;
    memset(&z, 0, sizeof z);
    memset(&h, 0, sizeof h);
    h.name = (Bytef *)"bao-cao.json";
    h.time = 1719792000;
    h.os = 3;
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    size_t cap = deflateBound(&z, (uLong)rlen) + 64;
    unsigned char *g = malloc(cap);
    assert_non_null(g);
    z.next_in = (Bytef *)report;
    z.avail_in = (uInt)rlen;
    z.next_out = g;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t glen = z.total_out;
    deflateEnd(&z);
    xp_unpack_expect_text(g, glen, XA_PACK_GZIP, rlen, report, rlen);
    free(g);
    free(report);
}

static void test_changeset__pack_and_unpack_refuse_an_unknown_kind(void **state)
{
    (void)state;
    const int bad[] = {0, 4, -1, 99};
    size_t plen = 0;
    unsigned char *p = xp_pack_ok("{}", 2, XA_PACK_DEFLATE, &plen);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *out = (unsigned char *)OUT_SENTINEL;
        size_t outlen = OUTLEN_SENTINEL;
        assert_int_equal(xa_pack(&out, &outlen, "{}", 2, bad[i]), XA_EINVAL);
        assert_ptr_equal(out, OUT_SENTINEL);
        assert_int_equal(outlen, OUTLEN_SENTINEL);
        xp_unpack_expect_code(p, plen, bad[i], MIB, XA_EINVAL, "a body of an unknown kind");
    }
    free(p);
}

/* ---- the dictionary ------------------------------------------------------ */

/* A realistic request: 50 edits of the report by two clerks. */
static void big_request_make(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", SCOPE);
    m->node = NODE_A;
    m->max = 1000;
    uint64_t seq[2] = {0, 0};
    const xa_node nodes[2] = {NODE_A, NODE_D};
    const char *authors[2] = {"Nguyễn Thị Hoa", "Lê Quang Thành"};
    static const char *const est[] = {"\"151,2\"", "\"62,1\"", "\"1.472\"", "\"1,9\"", "\"12\""};
    for (size_t i = 0; i < 50; i++) {
        size_t w = i % 3 == 2; /* the second clerk makes every third edit */
        xa_dot ctx[1] = {{nodes[w], seq[w]}};
        char entity[32];
        seq[w]++;
        if (i % 5 == 4) {
            snprintf(entity, sizeof entity, "ind-%zu", i / 5 % 5 + 1);
            xt_mkop(xm_push(&m->ops), SCOPE, nodes[w], seq[w], entity, "est", est[i / 5 % 5], ctx,
                    seq[w] > 1, 1719792000000LL + (int64_t)i * 1000, authors[w]);
        } else {
            size_t line = 11 + i % (NREPORT - 11);
            char *v = xm_json_string(REPORT[line]);
            snprintf(entity, sizeof entity, "para/%03zu", line);
            xt_mkop(xm_push(&m->ops), SCOPE, nodes[w], seq[w], entity, "text", v, ctx, seq[w] > 1,
                    1719792000000LL + (int64_t)i * 1000, authors[w]);
            free(v);
        }
    }
    assert_int_equal(xa_vv_set(&m->have, NODE_A, seq[0]), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_D, seq[1]), 0);
}

static void test_changeset__dictionary_makes_a_realistic_message_smaller(void **state)
{
    (void)state;
    xa_sync_msg m;
    big_request_make(&m);
    size_t len = 0, dlen = 0, flen = 0, glen = 0;
    char *text = xm_encode_ok(&m, 1, &len);
    unsigned char *d = xp_pack_ok(text, len, XA_PACK_DICT, &dlen);
    unsigned char *f = xp_pack_ok(text, len, XA_PACK_DEFLATE, &flen);
    unsigned char *g = xp_pack_ok(text, len, XA_PACK_GZIP, &glen);
    print_message("50 ops, %zu bytes of JSON: DICT %zu bytes, DEFLATE %zu bytes, GZIP %zu bytes "
                  "(dictionary saves %.1f%%)\n",
                  len, dlen, flen, glen, 100.0 * (double)(flen - dlen) / (double)flen);
    if (dlen >= flen)
        fail_msg("DICT %zu bytes, DEFLATE %zu: the dictionary does not help", dlen, flen);

    /* and each comes back whole */
    xp_unpack_expect_text(d, dlen, XA_PACK_DICT, len, text, len);
    xp_unpack_expect_text(f, flen, XA_PACK_DEFLATE, len, text, len);
    xp_unpack_expect_text(g, glen, XA_PACK_GZIP, len, text, len);
    free(d);
    free(f);
    free(g);
    free(text);
    xa_sync_msg_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset__unpack_stops_a_zip_bomb),
        cmocka_unit_test(test_changeset__unpack_max_out_is_exact),
        cmocka_unit_test(test_changeset__unpack_accepts_the_largest_max_out),
        cmocka_unit_test(test_changeset__pack_does_not_cut_a_text_over_4_gib),
        cmocka_unit_test(test_changeset__pack_round_trip_every_kind),
        cmocka_unit_test(test_changeset__unpack_reads_bodies_of_standard_tools),
        cmocka_unit_test(test_changeset__pack_and_unpack_refuse_an_unknown_kind),
        cmocka_unit_test(test_changeset__dictionary_makes_a_realistic_message_smaller),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
