/*
 * The compression tests' harness (tests/sync/test_changeset_*.c), on top of
 * the sync messages' (msgfx.h): a commune's report as sample text,
 * deterministic random bytes, packing and unpacking from exact-size
 * buffers (so AddressSanitizer sees an overread) with the outputs checked,
 * a zip bomb made without holding it, and the process's peak memory.
 * Include after <cmocka.h>.
 */
#ifndef XA_TEST_PACKFX_H
#define XA_TEST_PACKFX_H

#include "msgfx.h"

#include <stddef.h>
#include <stdint.h>

/* Where unpack must leave its outputs when it refuses. */
extern char xp_untouched_byte;
#define OUT_SENTINEL (&xp_untouched_byte)
#define OUTLEN_SENTINEL ((size_t)0x5eed5eedU)

const char *xp_kind_name(int kind);

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
char *xp_report_text(size_t *len);

/* Deterministic random bytes (xorshift64*), so a failure can be replayed. */
void xp_fill_random(unsigned char *p, size_t n, uint64_t seed);

unsigned char *xp_pack_ok(const char *text, size_t len, int kind, size_t *outlen);

/* Unpack from an exact-size buffer and expect the given text back. */
void xp_unpack_expect_text(const unsigned char *in,
                           size_t inlen,
                           int kind,
                           size_t max_out,
                           const char *want,
                           size_t wantlen);

/* Unpack from an exact-size buffer; expect `want` (an error) and the outputs
 * left as they were.  Returns the code. */
int xp_unpack_expect_code(
    const unsigned char *in, size_t inlen, int kind, size_t max_out, int want, const char *what);

uint32_t xp_be32(const unsigned char *p);

/* A zlib (or gzip) stream of `nzeros` zero bytes, made without holding them:
 * the zip bomb.  malloc'd. */
unsigned char *xp_zeros_stream(size_t nzeros, int gzip, size_t *outlen);

double xp_now_s(void);

long xp_maxrss_kib(void);

/* A request from NODE_B with ops of two nodes, interleaved. */
void xp_request_make(xa_sync_msg *m);

/* The first bytes of a packed body of `kind`: a gzip header, or a zlib one
 * (RFC 1950) whose FDICT bit is set for a DICT body only. */
void xp_check_header(const unsigned char *p, size_t len, int kind);

#endif
