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
 * This suite: the dictionary named and unknown, and every body unpack must
 * refuse.  The harness: tests/support/packfx.h.
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

static void test_changeset__dict_body_names_its_dictionary(void **state)
{
    (void)state;
    size_t rlen = 0, dlen = 0, d2len = 0, flen = 0;
    char *report = xp_report_text(&rlen);
    unsigned char *d = xp_pack_ok(report, rlen, XA_PACK_DICT, &dlen);
    unsigned char *d2 = xp_pack_ok("{}", 2, XA_PACK_DICT, &d2len);
    unsigned char *f = xp_pack_ok(report, rlen, XA_PACK_DEFLATE, &flen);

    /* FDICT set, DICTID (bytes 2..5, big-endian) the same for every body */
    xp_check_header(d, dlen, XA_PACK_DICT);
    xp_check_header(d2, d2len, XA_PACK_DICT);
    xp_check_header(f, flen, XA_PACK_DEFLATE);
    uint32_t id = xp_be32(d + 2);
    assert_int_equal(xp_be32(d2 + 2), id);
    assert_true(id != 1); /* adler32 of nothing: an empty dictionary */
    print_message("dictionary id %08x\n", (unsigned)id);

    /* plain zlib asks for that very dictionary */
    z_stream z;
    unsigned char out[64];
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit(&z), Z_OK);
    z.next_in = d;
    z.avail_in = (uInt)dlen;
    z.next_out = out;
    z.avail_out = sizeof out;
    assert_int_equal(inflate(&z, Z_NO_FLUSH), Z_NEED_DICT);
    assert_int_equal(z.adler, id);
    inflateEnd(&z);

    /* it is the zlib format: DEFLATE, the same format without a
     * dictionary, reads it, and DICT reads plain zlib */
    xp_unpack_expect_text(d, dlen, XA_PACK_DEFLATE, rlen, report, rlen);
    xp_unpack_expect_text(f, flen, XA_PACK_DICT, rlen, report, rlen);

    free(d);
    free(d2);
    free(f);
    free(report);
}

static void test_changeset__unpack_refuses_an_unknown_dictionary(void **state)
{
    (void)state;
    size_t rlen = 0;
    char *report = xp_report_text(&rlen);
    unsigned char dict[2048];
    xp_fill_random(dict, sizeof dict, 1234);
    /* some of the report in it, so that the stream refers to it */
    memcpy(dict + sizeof dict - 512, report, 512);

    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit(&z, 9), Z_OK);
    assert_int_equal(deflateSetDictionary(&z, dict, sizeof dict), Z_OK);
    size_t cap = deflateBound(&z, (uLong)rlen) + 64;
    unsigned char *c = malloc(cap);
    assert_non_null(c);
    z.next_in = (Bytef *)report;
    z.avail_in = (uInt)rlen;
    z.next_out = c;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t clen = z.total_out;
    deflateEnd(&z);
    assert_true(c[1] & 0x20);
    assert_int_equal(xp_be32(c + 2), adler32(adler32(0, Z_NULL, 0), dict, sizeof dict));

    /* control: the stream is good with its own dictionary */
    char *plain = malloc(rlen + 1);
    assert_non_null(plain);
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit(&z), Z_OK);
    z.next_in = c;
    z.avail_in = (uInt)clen;
    z.next_out = (Bytef *)plain;
    z.avail_out = (uInt)rlen + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_NEED_DICT);
    assert_int_equal(inflateSetDictionary(&z, dict, sizeof dict), Z_OK);
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, rlen);
    assert_memory_equal(plain, report, rlen);
    inflateEnd(&z);
    free(plain);

    for (size_t k = 0; k < 2; k++) {
        int kind = k == 0 ? XA_PACK_DICT : XA_PACK_DEFLATE;
        xp_unpack_expect_code(c, clen, kind, MIB, XA_EINVAL, "a body with an unknown dictionary");
        if (strstr(xa_error_last(), "dictionary") == NULL)
            fail_msg("the message should say a dictionary is unknown: \"%s\"", xa_error_last());
    }
    free(c);
    free(report);
}

/* ---- compression: refusals ------------------------------------------------ */

static void test_changeset__unpack_refuses_text_that_is_not_compressed(void **state)
{
    (void)state;
    xa_sync_msg m;
    xp_request_make(&m);
    size_t mlen = 0;
    char *msg = xm_encode_ok(&m, 1, &mlen);
    const char *plain[] = {"", "{}", "hello", "\x78", "\x1f\x8b", "null\n"};
    for (size_t k = 0; k < NKINDS; k++) {
        xp_unpack_expect_code((const unsigned char *)msg, mlen, KINDS[k], MIB, XA_EINVAL,
                              "plain JSON");
        for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
            xp_unpack_expect_code((const unsigned char *)plain[i], strlen(plain[i]), KINDS[k], MIB,
                                  XA_EINVAL, plain[i]);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

static void test_changeset__unpack_refuses_every_truncation(void **state)
{
    (void)state;
    xa_sync_msg m;
    xp_request_make(&m);
    size_t mlen = 0;
    char *msg = xm_encode_ok(&m, 1, &mlen);
    for (size_t k = 0; k < NKINDS; k++) {
        size_t plen = 0;
        unsigned char *p = xp_pack_ok(msg, mlen, KINDS[k], &plen);
        xp_unpack_expect_text(p, plen, KINDS[k], mlen, msg, mlen);
        for (size_t cut = 0; cut < plen; cut++) {
            xp_unpack_expect_code(p, cut, KINDS[k], MIB, XA_EINVAL, "a truncated body");
            /* with the output buffer full when the input runs out */
            xp_unpack_expect_code(p, cut, KINDS[k], mlen, XA_EINVAL, "a truncated body");
        }
        free(p);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

/*
 * Every single-bit flip of a small body.  A flip is refused (XA_EINVAL; or
 * XA_ETOOBIG if it makes the body inflate past the bound), except where the
 * format itself does not look: the padding bits after deflate's last code
 * (the last byte before the trailer), and gzip's header bytes FLG..OS that
 * no check covers.  A body accepted after a flip must still give back the
 * very text packed: the checksum held.
 */
static void test_changeset__unpack_refuses_flipped_bits(void **state)
{
    (void)state;
    xa_sync_msg m;
    xp_request_make(&m);
    size_t mlen = 0;
    char *msg = xm_encode_ok(&m, 1, &mlen);
    for (size_t k = 0; k < NKINDS; k++) {
        int kind = KINDS[k], gzip = kind == XA_PACK_GZIP;
        size_t plen = 0, accepted = 0;
        unsigned char *p = xp_pack_ok(msg, mlen, kind, &plen);
        size_t trailer = gzip ? 8 : 4;
        size_t header = gzip ? 10 : kind == XA_PACK_DICT ? 6 : 2;
        for (size_t i = 0; i < plen; i++) {
            /* where a flip must be refused: zlib's header and the
             * dictionary's id, gzip's magic and method, and the trailer */
            int strict = i < (gzip ? 3 : header) || i >= plen - trailer;
            int unseen = i == plen - trailer - 1 || (gzip && i >= 3 && i < header);
            for (int bit = 0; bit < 8; bit++) {
                unsigned char *b = xm_exact_copy(p, plen);
                b[i] ^= (unsigned char)(1u << bit);
                char *out = OUT_SENTINEL;
                size_t outlen = OUTLEN_SENTINEL;
                int rc = xa_unpack(&out, &outlen, b, plen, kind, MIB);
                if (rc == 0) {
                    if (!unseen)
                        fail_msg("%s: byte %zu of %zu, bit %d flipped, and accepted",
                                 xp_kind_name(kind), i, plen, bit);
                    assert_int_equal(outlen, mlen);
                    assert_memory_equal(out, msg, mlen);
                    assert_int_equal(out[outlen], '\0');
                    free(out);
                    accepted++;
                } else {
                    if (rc != XA_EINVAL && !(rc == XA_ETOOBIG && !strict))
                        fail_msg("%s: byte %zu bit %d flipped: rc %d (%s)", xp_kind_name(kind), i,
                                 bit, rc, xa_error_last());
                    assert_ptr_equal(out, OUT_SENTINEL);
                    assert_int_equal(outlen, OUTLEN_SENTINEL);
                }
                free(b);
            }
        }
        print_message("%s: %zu of %zu single-bit flips not seen (padding, gzip header)\n",
                      xp_kind_name(kind), accepted, plen * 8);
        free(p);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

static void test_changeset__unpack_refuses_data_after_the_stream(void **state)
{
    (void)state;
    xa_sync_msg m;
    xp_request_make(&m);
    size_t mlen = 0;
    char *msg = xm_encode_ok(&m, 1, &mlen);
    unsigned char noise[16];
    xp_fill_random(noise, sizeof noise, 99);
    for (size_t k = 0; k < NKINDS; k++) {
        size_t plen = 0;
        unsigned char *p = xp_pack_ok(msg, mlen, KINDS[k], &plen);
        const struct {
            const char *what;
            const unsigned char *tail;
            size_t len;
        } tails[] = {
            {"x", (const unsigned char *)"x", 1},
            {"a NUL", (const unsigned char *)"", 1},
            {"a newline", (const unsigned char *)"\n", 1},
            {"16 random bytes", noise, sizeof noise},
            {"the JSON text", (const unsigned char *)msg, mlen},
        };
        for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            unsigned char *b = malloc(plen + tails[t].len);
            assert_non_null(b);
            memcpy(b, p, plen);
            memcpy(b + plen, tails[t].tail, tails[t].len);
            char what[64];
            snprintf(what, sizeof what, "a body followed by %s", tails[t].what);
            xp_unpack_expect_code(b, plen + tails[t].len, KINDS[k], MIB, XA_EINVAL, what);
            free(b);
        }
        /* a second zlib stream after the first (for gzip that would be a
         * second member, a question of its own) */
        if (KINDS[k] != XA_PACK_GZIP) {
            unsigned char *b = malloc(2 * plen);
            assert_non_null(b);
            memcpy(b, p, plen);
            memcpy(b + plen, p, plen);
            xp_unpack_expect_code(b, 2 * plen, KINDS[k], MIB, XA_EINVAL, "two streams");
            free(b);
        }
        free(p);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

static void test_changeset__unpack_refuses_a_body_of_another_kind(void **state)
{
    (void)state;
    size_t rlen = 0, dlen = 0, flen = 0, glen = 0;
    char *report = xp_report_text(&rlen);
    unsigned char *d = xp_pack_ok(report, rlen, XA_PACK_DICT, &dlen);
    unsigned char *f = xp_pack_ok(report, rlen, XA_PACK_DEFLATE, &flen);
    unsigned char *g = xp_pack_ok(report, rlen, XA_PACK_GZIP, &glen);
    xp_unpack_expect_code(g, glen, XA_PACK_DEFLATE, MIB, XA_EINVAL, "gzip as deflate");
    xp_unpack_expect_code(g, glen, XA_PACK_DICT, MIB, XA_EINVAL, "gzip as dict");
    xp_unpack_expect_code(f, flen, XA_PACK_GZIP, MIB, XA_EINVAL, "deflate as gzip");
    xp_unpack_expect_code(d, dlen, XA_PACK_GZIP, MIB, XA_EINVAL, "dict as gzip");
    /* raw deflate (no zlib header), which some servers call "deflate" */
    xp_unpack_expect_code(f + 2, flen - 6, XA_PACK_DEFLATE, MIB, XA_EINVAL, "raw deflate");
    free(d);
    free(f);
    free(g);
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset__dict_body_names_its_dictionary),
        cmocka_unit_test(test_changeset__unpack_refuses_an_unknown_dictionary),
        cmocka_unit_test(test_changeset__unpack_refuses_text_that_is_not_compressed),
        cmocka_unit_test(test_changeset__unpack_refuses_every_truncation),
        cmocka_unit_test(test_changeset__unpack_refuses_flipped_bits),
        cmocka_unit_test(test_changeset__unpack_refuses_data_after_the_stream),
        cmocka_unit_test(test_changeset__unpack_refuses_a_body_of_another_kind),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
