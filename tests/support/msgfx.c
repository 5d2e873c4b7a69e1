/* The sync messages' test harness (tests/sync/test_changeset_msg_*.c):: msgfx.h. */
#include "msgfx.h"

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

/* A string as the JSON text of a value (canonical, as cJSON prints it). */
char *xm_json_string(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    assert_non_null(j);
    char *t = cJSON_PrintUnformatted(j);
    assert_non_null(t);
    cJSON_Delete(j);
    return t;
}

xa_op *xm_push(xa_op_list *l)
{
    xa_op *o = xa_op_list_push(l);
    assert_non_null(o);
    return o;
}

/* A copy of `len` bytes in a buffer of exactly that size. */
unsigned char *xm_exact_copy(const void *p, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    assert_non_null(b);
    if (len)
        memcpy(b, p, len);
    return b;
}

/* Pack with `kind` and unpack again: the text the other end reads. */
char *xm_through(const char *text, size_t len, int kind, size_t *outlen)
{
    unsigned char *p = NULL;
    size_t plen = 0;
    char *back = NULL;
    assert_int_equal(xa_pack(&p, &plen, text, len, kind), 0);
    assert_int_equal(xa_unpack(&back, outlen, p, plen, kind, MIB), 0);
    assert_int_equal(*outlen, len);
    free(p);
    return back;
}

/* A request from NODE_B with ops of two nodes, interleaved. */
void xm_request_make(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", SCOPE);
    m->node = NODE_B;
    assert_int_equal(xa_vv_set(&m->have, NODE_A, 3), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_B, 2), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_C, SEQ_TOP), 0);
    m->max = 500;

    char *title = xm_json_string(TEXTS[0]);
    char *para = xm_json_string(TEXTS[1]);
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

void xm_response_make(xa_sync_msg *m, int more)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", SCOPE);
    assert_int_equal(xa_vv_set(&m->have, NODE_A, 12), 0);
    assert_int_equal(xa_vv_set(&m->have, NODE_D, 1), 0);
    m->more = more;
}

/* A snapshot of two fields: ind-4/est with one value, whose context is the
 * one its value implies, and para/003/text in conflict, whose context holds
 * a dot (C1) that its values' contexts do not.  malloc'd. */
xa_snapshot *xm_snapshot_make(void)
{
    xa_snapshot *sn = calloc(1, sizeof *sn);
    assert_non_null(sn);
    assert_int_equal(xa_vv_set(&sn->have, NODE_A, 4), 0);
    assert_int_equal(xa_vv_set(&sn->have, NODE_B, 1), 0);
    assert_int_equal(xa_vv_set(&sn->have, NODE_C, 1), 0);
    assert_int_equal(xa_vv_set(&sn->have, NODE_D, 2), 0);
    sn->f = calloc(2, sizeof *sn->f);
    assert_non_null(sn->f);
    sn->n = 2;

    xa_snap_field *f = &sn->f[0];
    const xa_dot a1[1] = {{NODE_A, 1}};
    f->entity = xt_strdup("ind-4");
    f->field = xt_strdup("est");
    f->sib = calloc(1, sizeof *f->sib);
    assert_non_null(f->sib);
    f->n = 1;
    xt_mkop(&f->sib[0], SCOPE, NODE_A, 2, "ind-4", "est", "\"1.472\"", a1, 1, 1719792000123LL,
            "Nguyễn Thị Hoa");
    assert_int_equal(xa_vv_set(&f->fctx, NODE_A, 2), 0);

    f = &sn->f[1];
    const xa_dot a3b1[2] = {{NODE_A, 3}, {NODE_B, 1}};
    const xa_dot a3b1d1[3] = {{NODE_A, 3}, {NODE_B, 1}, {NODE_D, 1}};
    char *para = xm_json_string(TEXTS[2]);
    f->entity = xt_strdup("para/003");
    f->field = xt_strdup("text");
    f->sib = calloc(2, sizeof *f->sib);
    assert_non_null(f->sib);
    f->n = 2;
    xt_mkop(&f->sib[0], SCOPE, NODE_A, 4, "para/003", "text", para, a3b1, 2, 1719792000500LL,
            "Nguyễn Thị Hoa");
    xt_mkop(&f->sib[1], SCOPE, NODE_D, 2, "para/003", "text", "\"Đạt 100% kế hoạch\"", a3b1d1, 3,
            1719792000400LL, "Lê Quang Thành");
    free(para);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_A, 4), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_B, 1), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_C, 1), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_D, 2), 0);
    return sn;
}

void xm_assert_snapshot_equal(const xa_snapshot *got, const xa_snapshot *want)
{
    assert_non_null(got);
    assert_true(xa_vv_equal(&got->have, &want->have));
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        assert_string_equal(got->f[i].entity, want->f[i].entity);
        assert_string_equal(got->f[i].field, want->f[i].field);
        if (!xa_vv_equal(&got->f[i].fctx, &want->f[i].fctx)) {
            char *g = xa_vv_format(&got->f[i].fctx), *w = xa_vv_format(&want->f[i].fctx);
            fail_msg("snapshot field %s/%s: context %s, want %s", want->f[i].entity,
                     want->f[i].field, g ? g : "?", w ? w : "?");
        }
        assert_int_equal(got->f[i].n, want->f[i].n);
        for (size_t k = 0; k < want->f[i].n; k++)
            xm_assert_op_equal(&got->f[i].sib[k], &want->f[i].sib[k]);
    }
}

void xm_assert_op_equal(const xa_op *got, const xa_op *want)
{
    assert_true(got->node == want->node);
    assert_true(got->seq == want->seq);
    assert_string_equal(got->scope, want->scope);
    assert_string_equal(got->entity, want->entity);
    assert_string_equal(got->field, want->field);
    assert_string_equal(got->value, want->value);
    assert_true(xa_vv_equal(&got->ctx, &want->ctx));
    assert_true(got->hlc == want->hlc);
    assert_string_equal(got->author, want->author);
}

/* Every op of `got` matches one of `want` by dot and equals it; within a
 * node, seq order is kept. */
void xm_assert_same_ops(const xa_op_list *got, const xa_op_list *want)
{
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < got->n; i++) {
        size_t j = 0;
        while (j < want->n &&
               !(want->ops[j].node == got->ops[i].node && want->ops[j].seq == got->ops[i].seq))
            j++;
        if (j == want->n)
            fail_msg("decoded op %llu is not one of the encoded ones",
                     (unsigned long long)got->ops[i].seq);
        xm_assert_op_equal(&got->ops[i], &want->ops[j]);
        for (size_t k = 0; k < i; k++)
            if (got->ops[k].node == got->ops[i].node)
                assert_true(got->ops[k].seq < got->ops[i].seq);
    }
}

void xm_assert_msg_equal(const xa_sync_msg *got, const xa_sync_msg *want, int is_request)
{
    assert_string_equal(got->scope, want->scope);
    assert_true(xa_vv_equal(&got->have, &want->have));
    if (is_request) {
        assert_true(got->node == want->node);
        assert_int_equal(got->max, want->max);
    } else {
        assert_int_equal(got->more != 0, want->more != 0);
        if (want->snap)
            xm_assert_snapshot_equal(got->snap, want->snap);
        else
            assert_null(got->snap);
    }
    xm_assert_same_ops(&got->ops, &want->ops);
}

char *xm_encode_ok(const xa_sync_msg *m, int is_request, size_t *len)
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

/* Decode from an exact-size buffer; must succeed. */
void xm_decode_ok(xa_sync_msg *m, const char *text, size_t len, int is_request)
{
    unsigned char *buf = xm_exact_copy(text, len);
    int rc = xa_sync_msg_decode(m, (const char *)buf, len, SCOPE, is_request);
    if (rc != 0)
        fail_msg("decode of %.*s: rc %d (%s)", len > 400 ? 400 : (int)len, text, rc,
                 xa_error_last());
    free(buf);
}

/* A message unlike any under test, to show that a refused decode leaves it
 * as it was. */
void xm_msg_prefill(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", "giu-nguyen");
    m->node = NODE_D;
    assert_int_equal(xa_vv_set(&m->have, NODE_C, 7), 0);
    m->max = 99;
    m->more = 1;
    xt_mkop(xm_push(&m->ops), "giu-nguyen", NODE_C, 7, "para/999", "text", "\"còn đây\"", NULL, 0,
            42, "Giữ");
}

void xm_msg_check_untouched(const xa_sync_msg *m)
{
    assert_string_equal(m->scope, "giu-nguyen");
    assert_true(m->node == NODE_D);
    assert_int_equal(m->have.n, 1);
    assert_int_equal(xa_vv_get(&m->have, NODE_C), 7);
    assert_int_equal(m->max, 99);
    assert_int_equal(m->more, 1);
    assert_int_equal(m->ops.n, 1);
    assert_true(m->ops.ops[0].node == NODE_C);
    assert_int_equal(m->ops.ops[0].seq, 7);
    assert_string_equal(m->ops.ops[0].scope, "giu-nguyen");
    assert_string_equal(m->ops.ops[0].entity, "para/999");
    assert_string_equal(m->ops.ops[0].value, "\"còn đây\"");
    assert_string_equal(m->ops.ops[0].author, "Giữ");
    assert_null(m->snap);
}

/* Decode `len` bytes of `text` (in an exact-size buffer) as a request or a
 * response of `scope`, expect `want`, and `m` untouched. */
void xm_expect_msg_code_n(const char *text, size_t len, const char *scope, int is_request, int want)
{
    unsigned char *buf = xm_exact_copy(text, len);
    xa_sync_msg m;
    xm_msg_prefill(&m);
    int rc = xa_sync_msg_decode(&m, (const char *)buf, len, scope, is_request);
    if (rc != want)
        /* a long text: its head and its tail, where the cases differ */
        fail_msg("decode as %s of %.*s%s%.*s (%zu bytes): rc %d (%s), want %d (%s)",
                 is_request ? "request" : "response", len > 400 ? 200 : (int)len, text,
                 len > 400 ? " ... " : "", len > 400 ? 200 : 0,
                 text + (len > 400 ? len - 200 : len), len, rc, rc ? xa_error_last() : "accepted",
                 want, xa_error_name(want));
    xm_msg_check_untouched(&m);
    xa_sync_msg_clear(&m);
    free(buf);
}

xm_parts xm_request_parts(void)
{
    return (xm_parts){"\"" SCOPE "\"", "\"" HEX_B "\"", GOOD_HAVE, "100", NULL, GOOD_NODES, NULL};
}

xm_parts xm_response_parts(void)
{
    return (xm_parts){"\"" SCOPE "\"", NULL, GOOD_HAVE, NULL, "false", GOOD_NODES, NULL};
}

/* The message text; malloc'd. */
char *xm_build(const xm_parts *p)
{
    const char *names[7] = {"scope", "node", "have", "max", "more", "nodes", "snapshot"};
    const char *vals[7] = {p->scope, p->node, p->have, p->max, p->more, p->nodes, p->snapshot};
    size_t cap = 3;
    for (size_t i = 0; i < 7; i++)
        if (vals[i])
            cap += strlen(names[i]) + strlen(vals[i]) + 4;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t off = 0;
    t[off++] = '{';
    for (size_t i = 0; i < 7; i++) {
        if (vals[i] == NULL)
            continue;
        int w = snprintf(t + off, cap - off, "%s\"%s\":%s", off > 1 ? "," : "", names[i], vals[i]);
        assert_true(w > 0 && (size_t)w < cap - off);
        off += (size_t)w;
    }
    t[off++] = '}';
    t[off] = '\0';
    return t;
}

void xm_expect_parts(const xm_parts *p, int is_request, int want)
{
    char *t = xm_build(p);
    xm_expect_msg_code_n(t, strlen(t), SCOPE, is_request, want);
    free(t);
}

void xm_expect_parts_ok(const xm_parts *p, int is_request, size_t nops)
{
    char *t = xm_build(p);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    xm_decode_ok(&m, t, strlen(t), is_request);
    assert_int_equal(m.ops.n, nops);
    xa_sync_msg_clear(&m);
    free(t);
}
