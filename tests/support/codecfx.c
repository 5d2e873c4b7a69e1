/* The op codec's test harness (tests/sync/test_codec_*.c): ops made by hand,: codecfx.h. */
#include "codecfx.h"

#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/vv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

void xc_assert_op_equal(const xa_op *got, const xa_op *want)
{
    char hex[XA_NODE_HEX + 1];
    xa_node_format(want->node, hex);
    assert_true(got->node == want->node);
    assert_true(got->seq == want->seq);
    assert_string_equal(got->scope, want->scope);
    assert_string_equal(got->entity, want->entity);
    assert_string_equal(got->field, want->field);
    assert_string_equal(got->value, want->value);
    if (!xa_vv_equal(&got->ctx, &want->ctx)) {
        char *g = xa_vv_format(&got->ctx), *w = xa_vv_format(&want->ctx);
        fail_msg("op %s:%llu: ctx %s, want %s", hex, (unsigned long long)want->seq, g ? g : "?",
                 w ? w : "?");
    }
    if (got->hlc != want->hlc)
        fail_msg("op %s:%llu: hlc %lld, want %lld", hex, (unsigned long long)want->seq,
                 (long long)got->hlc, (long long)want->hlc);
    assert_string_equal(got->author, want->author);
}

void xc_fixture_make(xc_fixture *f)
{
    size_t k = 0;

    /* node A writes every value, each op superseding the last */
    for (size_t i = 0; i < NVALUES; i++) {
        const xa_dot ctx[2] = {{NODE_A, i}, {NODE_B, 1}};
        size_t nctx = i == 0 ? 0 : i < 3 ? 1 : 2;
        xt_mkop(&f->ops[k++], SCOPE, NODE_A, i + 1, "report-2024-h1", "title", VALUES[i], ctx, nctx,
                (int64_t)1719792000123LL + (int64_t)i, "Nguyễn Văn An");
        if (i == 2) {
            const xa_dot cb[1] = {{NODE_A, 2}};
            xt_mkop(&f->ops[k++], SCOPE, NODE_B, 1, "ind-4", "est", "\"1.460\"", cb, 1,
                    1719792000500LL, "Trần Thị \"Bé\" Ba");
        }
        if (i == 5) {
            const xa_dot cc[3] = {{NODE_A, 6}, {NODE_B, 1}, {NODE_C, 1}};
            xt_mkop(&f->ops[k++], SCOPE, NODE_C, 1, "blk:0001/p.a", "text", VALUES[1], NULL, 0,
                    HLC_BIG, "Lê Văn Cường");
            xt_mkop(&f->ops[k++], SCOPE, NODE_C, 2, "blk:0001/p.a", "pos", "0.5", cc, 3, HLC_BIG,
                    "Lê Văn Cường");
        }
    }
    /* node D with seqs at the top of the range and a big ctx */
    const xa_dot cd[4] = {{NODE_A, 3}, {NODE_B, 1}, {NODE_C, 2}, {NODE_D, SEQ_TOP - 1}};
    xt_mkop(&f->ops[k++], SCOPE, NODE_D, SEQ_TOP - 1, "ind-4", "note", "null", NULL, 0, 0,
            "Phạm Thu Hà");
    xt_mkop(&f->ops[k++], SCOPE, NODE_D, SEQ_TOP, "ind-4", "note", VALUES[2], cd, 4, HLC_BIG - 1,
            "Phạm Thu Hà");
    f->n = k;
    assert_true(k <= sizeof f->ops / sizeof f->ops[0]);
}

void xc_fixture_free(xc_fixture *f)
{
    for (size_t i = 0; i < f->n; i++)
        xa_op_clear(&f->ops[i]);
    f->n = 0;
}

char *xc_encode_ok(const xa_op *ops, size_t n)
{
    char *text = NULL;
    assert_int_equal(xa_codec_encode(&text, SCOPE, ops, n), 0);
    assert_non_null(text);
    return text;
}

/* Every decoded op matches exactly one original by dot, and equals it. */
void xc_assert_same_ops(const xa_op *got, size_t ngot, const xa_op *want, size_t nwant)
{
    assert_int_equal(ngot, nwant);
    int *seen = calloc(nwant ? nwant : 1, sizeof *seen);
    assert_non_null(seen);
    for (size_t i = 0; i < ngot; i++) {
        size_t j = 0;
        while (j < nwant && !(want[j].node == got[i].node && want[j].seq == got[i].seq))
            j++;
        char hex[XA_NODE_HEX + 1];
        xa_node_format(got[i].node, hex);
        if (j == nwant || seen[j])
            fail_msg("decoded op %s:%llu is %s", hex, (unsigned long long)got[i].seq,
                     j == nwant ? "not one of the encoded ops" : "there twice");
        seen[j] = 1;
        xc_assert_op_equal(&got[i], &want[j]);
    }
    free(seen);
}
