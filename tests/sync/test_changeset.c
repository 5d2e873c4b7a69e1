/*
 * Tests of changeset compression (include/xasync/changeset.h): xa_pack and
 * xa_unpack, the three kinds of sync body.  The messages themselves are
 * tested in test_changeset_msg.c.
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
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "support.h"
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

#define SCOPE "hoang-kim"

#define NODE_A ((xa_node)0x8f3a1c2b4d5e6f70ULL)
#define NODE_B ((xa_node)0x0000000000000001ULL)
#define NODE_C ((xa_node)0xffffffffffffffffULL)
#define NODE_D ((xa_node)0x00c0ffee00000a0bULL)
#define HEX_A "8f3a1c2b4d5e6f70"
#define HEX_B "0000000000000001"
#define HEX_C "ffffffffffffffff"
#define HEX_D "00c0ffee00000a0b"

#define SEQ_TOP (XA_SEQ_MAX - 1)
#define MIB ((size_t)1024 * 1024)

static const int KINDS[] = {XA_PACK_DICT, XA_PACK_DEFLATE, XA_PACK_GZIP};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static const char *kind_name(int kind)
{
    return kind == XA_PACK_DICT      ? "DICT"
           : kind == XA_PACK_DEFLATE ? "DEFLATE"
           : kind == XA_PACK_GZIP    ? "GZIP"
                                     : "?";
}

/* ---- sample data ------------------------------------------------------ */

/* A commune's half-year report on emulation and commendation work, in the
 * words such reports use (header, sections, bullets, indicator table,
 * signature block). */
static const char *const REPORT[] = {
    "ỦY BAN NHÂN DÂN",
    "XÃ HOÀNG KIM",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: /BC-UBND",
    "Hoàng Kim, ngày tháng 7 năm 2024",
    "BÁO CÁO",
    "Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm, triển khai nhiệm vụ trọng tâm "
    "công tác thi đua, khen thưởng 6 tháng cuối năm 2024",
    "Phần thứ nhất",
    "KẾT QUẢ THỰC HIỆN NHIỆM VỤ CÔNG TÁC THI ĐUA, KHEN THƯỞNG 6 THÁNG ĐẦU NĂM 2024",
    "I. ĐẶC ĐIỂM TÌNH HÌNH",
    "Xã có 6 thôn, 1.560 hộ với 6.400 nhân khẩu; Đảng bộ xã có 11 chi bộ trực thuộc với 280 "
    "đảng viên. Các đoàn thể chính trị - xã hội hoạt động đúng chức năng, nhiệm vụ theo quy "
    "định.",
    "II. KẾT QUẢ THỰC HIỆN CÔNG TÁC THI ĐUA, KHEN THƯỞNG",
    "1. Công tác lãnh đạo, chỉ đạo",
    "Ngay từ đầu năm, Đảng ủy, UBND xã đã ban hành kế hoạch tổ chức các phong trào thi đua "
    "yêu nước, gắn phong trào thi đua với việc thực hiện nhiệm vụ phát triển kinh tế - xã "
    "hội, quốc phòng - an ninh của địa phương.",
    "Hội đồng Thi đua - Khen thưởng xã thường xuyên được kiện toàn, phân công nhiệm vụ cụ "
    "thể cho từng thành viên; việc đánh giá, bình xét thi đua được tổ chức công khai, dân "
    "chủ, đúng quy định.",
    "2. Kết quả các phong trào thi đua",
    "- Phong trào “Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh”: nhân dân đã "
    "hiến 1.200 m² đất, đóng góp hơn 350 ngày công để làm đường giao thông nông thôn.",
    "- Phong trào “Cả nước chung tay vì người nghèo - Không để ai bị bỏ lại phía sau”: vận "
    "động ủng hộ Quỹ Vì người nghèo được 45,6 triệu đồng, hỗ trợ sửa chữa 2 nhà ở cho hộ "
    "nghèo.",
    "- Phong trào “Thi đua thực hiện văn hóa công sở”: cán bộ, công chức chấp hành nghiêm "
    "giờ giấc làm việc, thái độ phục vụ nhân dân ngày càng được nâng cao.",
    "3. Công tác khen thưởng",
    "Trong 6 tháng đầu năm, UBND xã đã khen thưởng 12 tập thể và 37 cá nhân có thành tích "
    "xuất sắc trong các phong trào thi đua; đề nghị cấp trên khen thưởng 2 tập thể và 5 cá "
    "nhân.",
    "III. ĐÁNH GIÁ CHUNG",
    "1. Ưu điểm: công tác thi đua, khen thưởng được cấp ủy, chính quyền quan tâm lãnh đạo, "
    "chỉ đạo; các phong trào thi đua được triển khai sâu rộng, thiết thực, hiệu quả.",
    "2. Tồn tại, hạn chế: một số phong trào thi đua còn mang tính hình thức; việc phát hiện, "
    "bồi dưỡng và nhân rộng điển hình tiên tiến có lúc chưa kịp thời.",
    "Phần thứ hai",
    "NHIỆM VỤ TRỌNG TÂM CÔNG TÁC THI ĐUA, KHEN THƯỞNG 6 THÁNG CUỐI NĂM 2024",
    "1. Tiếp tục đẩy mạnh công tác tuyên truyền, nâng cao nhận thức của cán bộ, đảng viên và "
    "nhân dân về công tác thi đua, khen thưởng.",
    "2. Tổ chức tốt các phong trào thi đua yêu nước, phấn đấu thực hiện thắng lợi các chỉ "
    "tiêu phát triển kinh tế - xã hội năm 2024.",
    "3. Làm tốt công tác phát hiện, bồi dưỡng, tổng kết và nhân rộng điển hình tiên tiến.",
    "BIỂU CHỈ TIÊU",
    "TT | Chỉ tiêu | ĐVT | Cùng kỳ | Kế hoạch | Ước thực hiện | So với cùng kỳ (%) | So với "
    "kế hoạch (%)",
    "1 | Tổng giá trị sản xuất | tỷ đồng | 142,5 | 160 | 151,2 | 106,1 | 94,5",
    "2 | Thu nhập bình quân đầu người | triệu đồng | 58,3 | 65 | 62,1 | 106,5 | 95,5",
    "3 | Sản lượng lương thực | tấn | 1.460 | 1.500 | 1.472 | 100,8 | 98,1",
    "4 | Tỷ lệ hộ nghèo | % | 2,1 | 1,8 | 1,9 | 90,5 | 105,6",
    "5 | Số tập thể được khen thưởng | tập thể | 10 | 12 | 12 | 120,0 | 100,0",
    "Nơi nhận:",
    "- HĐTĐ khen thưởng huyện (B/c);",
    "- Lưu: VT.",
    "TM. ỦY BAN NHÂN DÂN",
    "CHỦ TỊCH",
};
#define NREPORT (sizeof REPORT / sizeof REPORT[0])

/* The report as one text, paragraphs apart.  malloc'd. */
static char *report_text(size_t *len)
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
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = (unsigned char)((x * 0x2545f4914f6cdd1dULL) >> 56);
    }
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

/* A string as the JSON text of a value (canonical, as cJSON prints it). */
static char *json_string(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    assert_non_null(j);
    char *t = cJSON_PrintUnformatted(j);
    assert_non_null(t);
    cJSON_Delete(j);
    return t;
}

static void mkop(xa_op *op,
                 const char *scope,
                 xa_node node,
                 uint64_t seq,
                 const char *entity,
                 const char *field,
                 const char *value,
                 const xa_dot *ctx,
                 size_t nctx,
                 int64_t hlc,
                 const char *author)
{
    memset(op, 0, sizeof *op);
    op->scope = xstrdup(scope);
    op->node = node;
    op->seq = seq;
    op->entity = xstrdup(entity);
    op->field = xstrdup(field);
    op->value = xstrdup(value);
    op->ctx = (xa_vv)XA_VV_INIT;
    for (size_t i = 0; i < nctx; i++)
        assert_int_equal(xa_vv_set(&op->ctx, ctx[i].node, ctx[i].seq), 0);
    op->hlc = hlc;
    op->author = xstrdup(author);
}

static xa_op *push(xa_op_list *l)
{
    xa_op *o = xa_op_list_push(l);
    assert_non_null(o);
    return o;
}

/* ---- compression helpers ------------------------------------------------ */

static unsigned char *pack_ok(const char *text, size_t len, int kind, size_t *outlen)
{
    unsigned char *out = NULL;
    *outlen = 0;
    int rc = xa_pack(&out, outlen, text, len, kind);
    if (rc != 0)
        fail_msg("pack %s of %zu bytes: rc %d (%s)", kind_name(kind), len, rc, xa_error_last());
    assert_non_null(out);
    assert_true(*outlen > 0);
    return out;
}

/* A copy of `len` bytes in a buffer of exactly that size. */
static unsigned char *exact_copy(const void *p, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    assert_non_null(b);
    if (len)
        memcpy(b, p, len);
    return b;
}

/* Unpack from an exact-size buffer and expect the given text back. */
static void unpack_expect_text(const unsigned char *in,
                               size_t inlen,
                               int kind,
                               size_t max_out,
                               const char *want,
                               size_t wantlen)
{
    unsigned char *buf = exact_copy(in, inlen);
    char *out = NULL;
    size_t outlen = 0;
    int rc = xa_unpack(&out, &outlen, buf, inlen, kind, max_out);
    if (rc != 0)
        fail_msg("unpack %s of %zu bytes (max_out %zu, want %zu bytes): rc %d (%s)",
                 kind_name(kind), inlen, max_out, wantlen, rc, xa_error_last());
    assert_non_null(out);
    assert_int_equal(outlen, wantlen);
    if (wantlen && memcmp(out, want, wantlen) != 0)
        fail_msg("unpack %s: %zu bytes came back different", kind_name(kind), wantlen);
    assert_int_equal(out[outlen], '\0');
    free(out);
    free(buf);
}

static char untouched_byte;
#define OUT_SENTINEL (&untouched_byte)
#define OUTLEN_SENTINEL ((size_t)0x5eed5eedU)

/* Unpack from an exact-size buffer; expect `want` (an error) and the outputs
 * left as they were.  Returns the code. */
static int unpack_expect_code(
    const unsigned char *in, size_t inlen, int kind, size_t max_out, int want, const char *what)
{
    unsigned char *buf = exact_copy(in, inlen);
    char *out = OUT_SENTINEL;
    size_t outlen = OUTLEN_SENTINEL;
    int rc = xa_unpack(&out, &outlen, buf, inlen, kind, max_out);
    if (rc != want) {
        if (rc == 0)
            free(out);
        fail_msg("unpack %s of %s (%zu bytes, max_out %zu): rc %d (%s), want %d (%s)",
                 kind_name(kind), what, inlen, max_out, rc, rc ? xa_error_last() : "accepted", want,
                 xa_error_name(want));
    }
    if (out != OUT_SENTINEL || outlen != OUTLEN_SENTINEL)
        fail_msg("unpack %s of %s: refused with %d but wrote its outputs", kind_name(kind), what,
                 rc);
    free(buf);
    return rc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A zlib (or gzip) stream of `nzeros` zero bytes, made without holding them:
 * the zip bomb.  malloc'd. */
static unsigned char *zeros_stream(size_t nzeros, int gzip, size_t *outlen)
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

/* ---- messages to pack -------------------------------------------------- */

/* A request from NODE_B with ops of two nodes, interleaved. */
static void request_make(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", SCOPE);
    m->node = NODE_B;
    assert_int_equal(xa_vv_set(&m->have, NODE_A, 3), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_B, 2), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_C, SEQ_TOP), 0);
    m->max = 500;

    char *title = json_string(REPORT[7]);
    char *para = json_string(REPORT[14]);
    const xa_dot a1[1] = {{NODE_A, 1}};
    const xa_dot a2b1[2] = {{NODE_A, 2}, {NODE_B, 1}};
    mkop(push(&m->ops), SCOPE, NODE_A, 1, "meta", "title", title, NULL, 0, 1719792000123LL,
         "Nguyễn Thị Hoa");
    mkop(push(&m->ops), SCOPE, NODE_B, 1, "ind-4", "est", "\"1.472\"", a1, 1, 1719792000200LL,
         "Lê Văn \"Bình\"");
    mkop(push(&m->ops), SCOPE, NODE_A, 2, "para/014", "text", para, a1, 1, 1719792000300LL,
         "Nguyễn Thị Hoa");
    mkop(push(&m->ops), SCOPE, NODE_B, 2, "ind-4", "note", "{\"dvt\":\"tấn\",\"sl\":[1,2]}", a2b1,
         2, 1719792000400LL, "Lê Văn \"Bình\"");
    mkop(push(&m->ops), SCOPE, NODE_A, 3, "para/014", "pos", "0.5", a2b1, 2, 1719792000500LL,
         "Nguyễn Thị Hoa");
    free(title);
    free(para);
}

static char *encode_ok(const xa_sync_msg *m, int is_request, size_t *len)
{
    char *text = NULL;
    *len = 0;
    int rc = xa_sync_msg_encode(&text, len, m, is_request);
    if (rc != 0)
        fail_msg("encode: rc %d (%s)", rc, xa_error_last());
    assert_non_null(text);
    assert_int_equal(*len, strlen(text));
    return text;
}

/* ---- compression: bounds ------------------------------------------------ */

/* Runs first, while the process's peak memory is still small, so that the
 * peak can show the bomb was not inflated whole. */
static void test_changeset__unpack_stops_a_zip_bomb(void **state)
{
    (void)state;
    const size_t zeros = 100 * 1000 * 1000;
    for (int gzip = 0; gzip <= 1; gzip++) {
        size_t blen = 0;
        unsigned char *bomb = zeros_stream(zeros, gzip, &blen);
        assert_true(blen < zeros / 500);
        /* a plain zlib stream is also what a DICT body may be */
        const int kinds[2] = {gzip ? XA_PACK_GZIP : XA_PACK_DEFLATE, XA_PACK_DICT};
        for (size_t k = 0; k < (gzip ? 1u : 2u); k++) {
            long rss0 = maxrss_kib();
            double t0 = now_s();
            unpack_expect_code(bomb, blen, kinds[k], MIB, XA_ETOOBIG, "100 MB of zeros");
            double dt = now_s() - t0;
            long grew = maxrss_kib() - rss0;
            print_message(
                "zip bomb %s: %zu bytes -> %zu, refused in %.3f s, peak memory +%ld KiB\n",
                kind_name(kinds[k]), blen, zeros, dt, grew);
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
    char *report = report_text(&rlen);
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
    fill_random(noise, big, 42);

    for (size_t k = 0; k < NKINDS; k++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int random = 0; random <= 1; random++) {
                size_t n = sizes[s], plen = 0;
                const char *src = random ? (const char *)noise : text;
                unsigned char *p = pack_ok(src, n, KINDS[k], &plen);
                unpack_expect_text(p, plen, KINDS[k], n, src, n);
                unpack_expect_code(p, plen, KINDS[k], n - 1, XA_ETOOBIG, "max_out one short");
                if (n > 1)
                    unpack_expect_code(p, plen, KINDS[k], n / 2, XA_ETOOBIG, "max_out half");
                unpack_expect_code(p, plen, KINDS[k], 0, XA_ETOOBIG, "max_out 0");
                free(p);
            }
        }
        /* the empty text fits in max_out 0 */
        size_t plen = 0;
        unsigned char *p = pack_ok("", 0, KINDS[k], &plen);
        unpack_expect_text(p, plen, KINDS[k], 0, "", 0);
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
    char *report = report_text(&rlen);
    for (size_t k = 0; k < NKINDS; k++) {
        unsigned char *p = pack_ok(report, rlen, KINDS[k], &plen);
        unpack_expect_text(p, plen, KINDS[k], SIZE_MAX - 1, report, rlen);
        unpack_expect_text(p, plen, KINDS[k], SIZE_MAX, report, rlen);
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
                     kind_name(KINDS[k]), len, plen, outlen);
        }
        assert_int_equal(rc, XA_ETOOBIG);
        free(p);
    }
    munmap(t, len);
}

/* ---- compression: round trips ------------------------------------------- */

static void check_header(const unsigned char *p, size_t len, int kind)
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

static void test_changeset__pack_round_trip_every_kind(void **state)
{
    (void)state;
    size_t rlen = 0, mlen = 0;
    char *report = report_text(&rlen);
    xa_sync_msg m;
    request_make(&m);
    char *msg = encode_ok(&m, 1, &mlen);
    unsigned char *noise = malloc(MIB);
    assert_non_null(noise);
    fill_random(noise, MIB, 7);

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
            unsigned char *p = pack_ok(samples[s].text, samples[s].len, KINDS[k], &plen);
            check_header(p, plen, KINDS[k]);
            print_message("%-8s %-22s %8zu -> %8zu bytes\n", kind_name(KINDS[k]), samples[s].name,
                          samples[s].len, plen);
            if (s == 2)
                assert_true(plen < rlen / 2);
            if (s == 3) /* incompressible: stored, with little overhead */
                assert_true(plen < MIB + MIB / 100);
            unpack_expect_text(p, plen, KINDS[k], samples[s].len, samples[s].text, samples[s].len);
            unpack_expect_text(p, plen, KINDS[k], 16 * MIB, samples[s].text, samples[s].len);
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
    char *report = report_text(&rlen);

    /* compress2(), at each level */
    for (int level = 0; level <= 9; level += 3) {
        uLongf clen = compressBound((uLong)rlen);
        unsigned char *c = malloc(clen);
        assert_non_null(c);
        assert_int_equal(compress2(c, &clen, (const Bytef *)report, (uLong)rlen, level), Z_OK);
        unpack_expect_text(c, clen, XA_PACK_DEFLATE, rlen, report, rlen);
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
    unpack_expect_text(g, glen, XA_PACK_GZIP, rlen, report, rlen);
    free(g);
    free(report);
}

static void test_changeset__pack_and_unpack_refuse_an_unknown_kind(void **state)
{
    (void)state;
    const int bad[] = {0, 4, -1, 99};
    size_t plen = 0;
    unsigned char *p = pack_ok("{}", 2, XA_PACK_DEFLATE, &plen);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *out = (unsigned char *)OUT_SENTINEL;
        size_t outlen = OUTLEN_SENTINEL;
        assert_int_equal(xa_pack(&out, &outlen, "{}", 2, bad[i]), XA_EINVAL);
        assert_ptr_equal(out, OUT_SENTINEL);
        assert_int_equal(outlen, OUTLEN_SENTINEL);
        unpack_expect_code(p, plen, bad[i], MIB, XA_EINVAL, "a body of an unknown kind");
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
            mkop(push(&m->ops), SCOPE, nodes[w], seq[w], entity, "est", est[i / 5 % 5], ctx,
                 seq[w] > 1, 1719792000000LL + (int64_t)i * 1000, authors[w]);
        } else {
            size_t line = 11 + i % (NREPORT - 11);
            char *v = json_string(REPORT[line]);
            snprintf(entity, sizeof entity, "para/%03zu", line);
            mkop(push(&m->ops), SCOPE, nodes[w], seq[w], entity, "text", v, ctx, seq[w] > 1,
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
    char *text = encode_ok(&m, 1, &len);
    unsigned char *d = pack_ok(text, len, XA_PACK_DICT, &dlen);
    unsigned char *f = pack_ok(text, len, XA_PACK_DEFLATE, &flen);
    unsigned char *g = pack_ok(text, len, XA_PACK_GZIP, &glen);
    print_message("50 ops, %zu bytes of JSON: DICT %zu bytes, DEFLATE %zu bytes, GZIP %zu bytes "
                  "(dictionary saves %.1f%%)\n",
                  len, dlen, flen, glen, 100.0 * (double)(flen - dlen) / (double)flen);
    if (dlen >= flen)
        fail_msg("DICT %zu bytes, DEFLATE %zu: the dictionary does not help", dlen, flen);

    /* and each comes back whole */
    unpack_expect_text(d, dlen, XA_PACK_DICT, len, text, len);
    unpack_expect_text(f, flen, XA_PACK_DEFLATE, len, text, len);
    unpack_expect_text(g, glen, XA_PACK_GZIP, len, text, len);
    free(d);
    free(f);
    free(g);
    free(text);
    xa_sync_msg_clear(&m);
}

static void test_changeset__dict_body_names_its_dictionary(void **state)
{
    (void)state;
    size_t rlen = 0, dlen = 0, d2len = 0, flen = 0;
    char *report = report_text(&rlen);
    unsigned char *d = pack_ok(report, rlen, XA_PACK_DICT, &dlen);
    unsigned char *d2 = pack_ok("{}", 2, XA_PACK_DICT, &d2len);
    unsigned char *f = pack_ok(report, rlen, XA_PACK_DEFLATE, &flen);

    /* FDICT set, DICTID (bytes 2..5, big-endian) the same for every body */
    check_header(d, dlen, XA_PACK_DICT);
    check_header(d2, d2len, XA_PACK_DICT);
    check_header(f, flen, XA_PACK_DEFLATE);
    uint32_t id = be32(d + 2);
    assert_int_equal(be32(d2 + 2), id);
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
    unpack_expect_text(d, dlen, XA_PACK_DEFLATE, rlen, report, rlen);
    unpack_expect_text(f, flen, XA_PACK_DICT, rlen, report, rlen);

    free(d);
    free(d2);
    free(f);
    free(report);
}

static void test_changeset__unpack_refuses_an_unknown_dictionary(void **state)
{
    (void)state;
    size_t rlen = 0;
    char *report = report_text(&rlen);
    unsigned char dict[2048];
    fill_random(dict, sizeof dict, 1234);
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
    assert_int_equal(be32(c + 2), adler32(adler32(0, Z_NULL, 0), dict, sizeof dict));

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
        unpack_expect_code(c, clen, kind, MIB, XA_EINVAL, "a body with an unknown dictionary");
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
    request_make(&m);
    size_t mlen = 0;
    char *msg = encode_ok(&m, 1, &mlen);
    const char *plain[] = {"", "{}", "hello", "\x78", "\x1f\x8b", "null\n"};
    for (size_t k = 0; k < NKINDS; k++) {
        unpack_expect_code((const unsigned char *)msg, mlen, KINDS[k], MIB, XA_EINVAL,
                           "plain JSON");
        for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
            unpack_expect_code((const unsigned char *)plain[i], strlen(plain[i]), KINDS[k], MIB,
                               XA_EINVAL, plain[i]);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

static void test_changeset__unpack_refuses_every_truncation(void **state)
{
    (void)state;
    xa_sync_msg m;
    request_make(&m);
    size_t mlen = 0;
    char *msg = encode_ok(&m, 1, &mlen);
    for (size_t k = 0; k < NKINDS; k++) {
        size_t plen = 0;
        unsigned char *p = pack_ok(msg, mlen, KINDS[k], &plen);
        unpack_expect_text(p, plen, KINDS[k], mlen, msg, mlen);
        for (size_t cut = 0; cut < plen; cut++) {
            unpack_expect_code(p, cut, KINDS[k], MIB, XA_EINVAL, "a truncated body");
            /* with the output buffer full when the input runs out */
            unpack_expect_code(p, cut, KINDS[k], mlen, XA_EINVAL, "a truncated body");
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
    request_make(&m);
    size_t mlen = 0;
    char *msg = encode_ok(&m, 1, &mlen);
    for (size_t k = 0; k < NKINDS; k++) {
        int kind = KINDS[k], gzip = kind == XA_PACK_GZIP;
        size_t plen = 0, accepted = 0;
        unsigned char *p = pack_ok(msg, mlen, kind, &plen);
        size_t trailer = gzip ? 8 : 4;
        size_t header = gzip ? 10 : kind == XA_PACK_DICT ? 6 : 2;
        for (size_t i = 0; i < plen; i++) {
            /* where a flip must be refused: zlib's header and the
             * dictionary's id, gzip's magic and method, and the trailer */
            int strict = i < (gzip ? 3 : header) || i >= plen - trailer;
            int unseen = i == plen - trailer - 1 || (gzip && i >= 3 && i < header);
            for (int bit = 0; bit < 8; bit++) {
                unsigned char *b = exact_copy(p, plen);
                b[i] ^= (unsigned char)(1u << bit);
                char *out = OUT_SENTINEL;
                size_t outlen = OUTLEN_SENTINEL;
                int rc = xa_unpack(&out, &outlen, b, plen, kind, MIB);
                if (rc == 0) {
                    if (!unseen)
                        fail_msg("%s: byte %zu of %zu, bit %d flipped, and accepted",
                                 kind_name(kind), i, plen, bit);
                    assert_int_equal(outlen, mlen);
                    assert_memory_equal(out, msg, mlen);
                    assert_int_equal(out[outlen], '\0');
                    free(out);
                    accepted++;
                } else {
                    if (rc != XA_EINVAL && !(rc == XA_ETOOBIG && !strict))
                        fail_msg("%s: byte %zu bit %d flipped: rc %d (%s)", kind_name(kind), i, bit,
                                 rc, xa_error_last());
                    assert_ptr_equal(out, OUT_SENTINEL);
                    assert_int_equal(outlen, OUTLEN_SENTINEL);
                }
                free(b);
            }
        }
        print_message("%s: %zu of %zu single-bit flips not seen (padding, gzip header)\n",
                      kind_name(kind), accepted, plen * 8);
        free(p);
    }
    free(msg);
    xa_sync_msg_clear(&m);
}

static void test_changeset__unpack_refuses_data_after_the_stream(void **state)
{
    (void)state;
    xa_sync_msg m;
    request_make(&m);
    size_t mlen = 0;
    char *msg = encode_ok(&m, 1, &mlen);
    unsigned char noise[16];
    fill_random(noise, sizeof noise, 99);
    for (size_t k = 0; k < NKINDS; k++) {
        size_t plen = 0;
        unsigned char *p = pack_ok(msg, mlen, KINDS[k], &plen);
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
            unpack_expect_code(b, plen + tails[t].len, KINDS[k], MIB, XA_EINVAL, what);
            free(b);
        }
        /* a second zlib stream after the first (for gzip that would be a
         * second member, a question of its own) */
        if (KINDS[k] != XA_PACK_GZIP) {
            unsigned char *b = malloc(2 * plen);
            assert_non_null(b);
            memcpy(b, p, plen);
            memcpy(b + plen, p, plen);
            unpack_expect_code(b, 2 * plen, KINDS[k], MIB, XA_EINVAL, "two streams");
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
    char *report = report_text(&rlen);
    unsigned char *d = pack_ok(report, rlen, XA_PACK_DICT, &dlen);
    unsigned char *f = pack_ok(report, rlen, XA_PACK_DEFLATE, &flen);
    unsigned char *g = pack_ok(report, rlen, XA_PACK_GZIP, &glen);
    unpack_expect_code(g, glen, XA_PACK_DEFLATE, MIB, XA_EINVAL, "gzip as deflate");
    unpack_expect_code(g, glen, XA_PACK_DICT, MIB, XA_EINVAL, "gzip as dict");
    unpack_expect_code(f, flen, XA_PACK_GZIP, MIB, XA_EINVAL, "deflate as gzip");
    unpack_expect_code(d, dlen, XA_PACK_GZIP, MIB, XA_EINVAL, "dict as gzip");
    /* raw deflate (no zlib header), which some servers call "deflate" */
    unpack_expect_code(f + 2, flen - 6, XA_PACK_DEFLATE, MIB, XA_EINVAL, "raw deflate");
    free(d);
    free(f);
    free(g);
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first: it measures the process's peak memory */
        cmocka_unit_test(test_changeset__unpack_stops_a_zip_bomb),
        cmocka_unit_test(test_changeset__unpack_max_out_is_exact),
        cmocka_unit_test(test_changeset__unpack_accepts_the_largest_max_out),
        cmocka_unit_test(test_changeset__pack_does_not_cut_a_text_over_4_gib),
        cmocka_unit_test(test_changeset__pack_round_trip_every_kind),
        cmocka_unit_test(test_changeset__unpack_reads_bodies_of_standard_tools),
        cmocka_unit_test(test_changeset__pack_and_unpack_refuse_an_unknown_kind),
        cmocka_unit_test(test_changeset__dictionary_makes_a_realistic_message_smaller),
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
