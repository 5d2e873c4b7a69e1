/*
 * The op codec's test harness (tests/sync/test_codec_*.c): ops made by hand,
 * a set of ops from four nodes whose values and names test every corner of
 * the format, and comparing ops field by field.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_CODECFX_H
#define XA_TEST_CODECFX_H

#include "support.h"
#include "util.h"
#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

#define SCOPE "hoang-kim"

/* Nodes chosen for their hex forms: leading zeros, all ones, mixed. */
#define NODE_A ((xa_node)0x8f3a1c2b4d5e6f70ULL)
#define NODE_B ((xa_node)0x0000000000000001ULL)
#define NODE_C ((xa_node)0xffffffffffffffffULL)
#define NODE_D ((xa_node)0x00c0ffee00000a0bULL)
#define HEX_A "8f3a1c2b4d5e6f70"
#define HEX_B "0000000000000001"
#define HEX_C "ffffffffffffffff"
#define HEX_D "00c0ffee00000a0b"
#define SEQ_TOP (XA_SEQ_MAX - 1) /* 2^53 - 1, the largest seq allowed */
#define HLC_BIG ((int64_t)9007199254740991LL)

void xc_assert_op_equal(const xa_op *got, const xa_op *want);

/* Values in the compact form cJSON prints, so the round trip must give back
 * the very same bytes. */
static const char *const VALUES[] = {
    "\"Báo cáo sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2024\"",
    "\"Anh ấy nói: \\\"Đạt 100% kế hoạch\\\"\\nDòng hai,\\ttab và \\\\ gạch\"",
    "\"Ủy ban nhân dân xã Hoàng Kim — “trích yếu” ‘nháy’ 😀 𝔸\"",
    "\"\"",
    "\"\\u0001\\u001f điều khiển\"",
    "1460",
    "636.4",
    "-3",
    "0",
    "12345678901234",
    "null",
    "true",
    "false",
    "{\"dvt\":\"người\",\"sl\":12,\"ds\":[1,2,\"ba\"],\"n\":null,\"o\":{}}",
    "[]",
    "{}",
    "[\"Trường Mầm non\",{\"tt\":\"1\"},[null]]",
};

#define NVALUES (sizeof VALUES / sizeof VALUES[0])

/* A set of ops from four nodes, given in an order that interleaves nodes (the
 * encoder groups them; decode may reorder across nodes). */
typedef struct xc_fixture {
    size_t n;
    xa_op ops[NVALUES + 8];
} xc_fixture;

void xc_fixture_make(xc_fixture *f);

void xc_fixture_free(xc_fixture *f);

char *xc_encode_ok(const xa_op *ops, size_t n);

/* Every decoded op matches exactly one original by dot, and equals it. */
void xc_assert_same_ops(const xa_op *got, size_t ngot, const xa_op *want, size_t nwant);

#endif
