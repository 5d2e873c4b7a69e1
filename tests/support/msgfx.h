/*
 * The sync messages' test harness (tests/sync/test_changeset_msg_*.c):
 * ops, requests, responses and snapshots made by hand, their comparison,
 * exact-size buffers (so AddressSanitizer sees an overread), and message
 * texts built from their members.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_MSGFX_H
#define XA_TEST_MSGFX_H

#include "support.h"
#include "util.h"
#include "xasync/changeset.h"
#include "xasync/store.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

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

/* Report-like values (see tests/support/packfx.c for the whole report). */
static const char *const TEXTS[] = {
    "Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm, triển khai nhiệm vụ trọng tâm "
    "công tác thi đua, khen thưởng 6 tháng cuối năm 2024",
    "Ngay từ đầu năm, Đảng ủy, UBND xã đã ban hành kế hoạch tổ chức các phong trào thi đua "
    "yêu nước, gắn phong trào thi đua với việc thực hiện nhiệm vụ phát triển kinh tế - xã "
    "hội, quốc phòng - an ninh của địa phương.",
    "Trong 6 tháng đầu năm, UBND xã đã khen thưởng 12 tập thể và 37 cá nhân có thành tích "
    "xuất sắc trong các phong trào thi đua; đề nghị cấp trên khen thưởng 2 tập thể và 5 cá "
    "nhân.",
};

/* A string as the JSON text of a value (canonical, as cJSON prints it). */
char *xm_json_string(const char *s);

xa_op *xm_push(xa_op_list *l);

/* A copy of `len` bytes in a buffer of exactly that size. */
unsigned char *xm_exact_copy(const void *p, size_t len);

/* Pack with `kind` and unpack again: the text the other end reads. */
char *xm_through(const char *text, size_t len, int kind, size_t *outlen);

/* A request from NODE_B with ops of two nodes, interleaved. */
void xm_request_make(xa_sync_msg *m);

void xm_response_make(xa_sync_msg *m, int more);

/* A snapshot of two fields: ind-4/est with one value, whose context is the
 * one its value implies, and para/003/text in conflict, whose context holds
 * a dot (C1) that its values' contexts do not.  malloc'd. */
xa_snapshot *xm_snapshot_make(void);

void xm_assert_snapshot_equal(const xa_snapshot *got, const xa_snapshot *want);

void xm_assert_op_equal(const xa_op *got, const xa_op *want);

/* Every op of `got` matches one of `want` by dot and equals it; within a
 * node, seq order is kept. */
void xm_assert_same_ops(const xa_op_list *got, const xa_op_list *want);

void xm_assert_msg_equal(const xa_sync_msg *got, const xa_sync_msg *want, int is_request);

char *xm_encode_ok(const xa_sync_msg *m, int is_request, size_t *len);

/* Decode from an exact-size buffer; must succeed. */
void xm_decode_ok(xa_sync_msg *m, const char *text, size_t len, int is_request);

/* A message unlike any under test, to show that a refused decode leaves it
 * as it was. */
void xm_msg_prefill(xa_sync_msg *m);

void xm_msg_check_untouched(const xa_sync_msg *m);

/* Decode `len` bytes of `text` (in an exact-size buffer) as a request or a
 * response of `scope`, expect `want`, and `m` untouched. */
void xm_expect_msg_code_n(
    const char *text, size_t len, const char *scope, int is_request, int want);

/* The members of a message as JSON texts (NULL: left out), in the order of
 * the header. */
typedef struct xm_parts {
    const char *scope, *node, *have, *max, *more, *nodes, *snapshot;
} xm_parts;

#define GOOD_HAVE "{\"" HEX_A "\":1,\"" HEX_C "\":4}"
#define GOOD_OP_A "[1,\"para/001\",\"text\",\"Đạt 100% kế hoạch\",{},1719792000123,\"An\"]"
#define GOOD_NODES "{\"" HEX_A "\":[" GOOD_OP_A "]}"

/* A good group first, then `op` under node B: a refusal must undo the good
 * op too. */
#define NODES_B(op) "{\"" HEX_A "\":[" GOOD_OP_A "],\"" HEX_B "\":[" op "]}"

xm_parts xm_request_parts(void);

xm_parts xm_response_parts(void);

/* The message text; malloc'd. */
char *xm_build(const xm_parts *p);

void xm_expect_parts(const xm_parts *p, int is_request, int want);

void xm_expect_parts_ok(const xm_parts *p, int is_request, size_t nops);

#endif
