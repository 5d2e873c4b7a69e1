/*
 * Tests of sync messages (include/xasync/changeset.h): requests and
 * responses as JSON text, xa_sync_msg_encode and xa_sync_msg_decode.  Their
 * compression is tested in test_changeset.c.
 *
 * What must hold:
 *   1. decode(encode(m)) gives back the message, in both directions, with
 *      or without a snapshot, and encoding it again gives the same text;
 *      the text has the members changeset.h documents and no other.
 *   2. Decode trusts nothing: a message of another scope is refused with
 *      XA_ESCOPE; anything malformed (a member missing or ill-typed, a bad
 *      node id or vector, an op or snapshot the codec would refuse, text
 *      after the document) with XA_EINVAL (XA_ETOOBIG for a value over
 *      XA_VALUE_MAX); and a refused message leaves `m` exactly as it was,
 *      even when its first ops were good.
 *   3. Decode reads no byte past `len` (texts are passed in buffers of
 *      exactly `len` bytes, with no NUL after them).
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Report-like values (see test_changeset.c for the whole report). */
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

/* A copy of `len` bytes in a buffer of exactly that size. */
static unsigned char *exact_copy(const void *p, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    assert_non_null(b);
    if (len)
        memcpy(b, p, len);
    return b;
}

static char untouched_byte;
#define OUT_SENTINEL (&untouched_byte)
#define OUTLEN_SENTINEL ((size_t)0x5eed5eedU)

/* Pack with `kind` and unpack again: the text the other end reads. */
static char *through(const char *text, size_t len, int kind, size_t *outlen)
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

/* ---- message helpers ---------------------------------------------------- */

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

    char *title = json_string(TEXTS[0]);
    char *para = json_string(TEXTS[1]);
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

static void response_make(xa_sync_msg *m, int more)
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
static xa_snapshot *snapshot_make(void)
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
    f->entity = xstrdup("ind-4");
    f->field = xstrdup("est");
    f->sib = calloc(1, sizeof *f->sib);
    assert_non_null(f->sib);
    f->n = 1;
    mkop(&f->sib[0], SCOPE, NODE_A, 2, "ind-4", "est", "\"1.472\"", a1, 1, 1719792000123LL,
         "Nguyễn Thị Hoa");
    assert_int_equal(xa_vv_set(&f->fctx, NODE_A, 2), 0);

    f = &sn->f[1];
    const xa_dot a3b1[2] = {{NODE_A, 3}, {NODE_B, 1}};
    const xa_dot a3b1d1[3] = {{NODE_A, 3}, {NODE_B, 1}, {NODE_D, 1}};
    char *para = json_string(TEXTS[2]);
    f->entity = xstrdup("para/003");
    f->field = xstrdup("text");
    f->sib = calloc(2, sizeof *f->sib);
    assert_non_null(f->sib);
    f->n = 2;
    mkop(&f->sib[0], SCOPE, NODE_A, 4, "para/003", "text", para, a3b1, 2, 1719792000500LL,
         "Nguyễn Thị Hoa");
    mkop(&f->sib[1], SCOPE, NODE_D, 2, "para/003", "text", "\"Đạt 100% kế hoạch\"", a3b1d1, 3,
         1719792000400LL, "Lê Quang Thành");
    free(para);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_A, 4), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_B, 1), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_C, 1), 0);
    assert_int_equal(xa_vv_set(&f->fctx, NODE_D, 2), 0);
    return sn;
}

static void assert_op_equal(const xa_op *got, const xa_op *want);

static void assert_snapshot_equal(const xa_snapshot *got, const xa_snapshot *want)
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
            assert_op_equal(&got->f[i].sib[k], &want->f[i].sib[k]);
    }
}

static void assert_op_equal(const xa_op *got, const xa_op *want)
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
static void assert_same_ops(const xa_op_list *got, const xa_op_list *want)
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
        assert_op_equal(&got->ops[i], &want->ops[j]);
        for (size_t k = 0; k < i; k++)
            if (got->ops[k].node == got->ops[i].node)
                assert_true(got->ops[k].seq < got->ops[i].seq);
    }
}

static void assert_msg_equal(const xa_sync_msg *got, const xa_sync_msg *want, int is_request)
{
    assert_string_equal(got->scope, want->scope);
    assert_true(xa_vv_equal(&got->have, &want->have));
    if (is_request) {
        assert_true(got->node == want->node);
        assert_int_equal(got->max, want->max);
    } else {
        assert_int_equal(got->more != 0, want->more != 0);
        if (want->snap)
            assert_snapshot_equal(got->snap, want->snap);
        else
            assert_null(got->snap);
    }
    assert_same_ops(&got->ops, &want->ops);
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

/* Decode from an exact-size buffer; must succeed. */
static void decode_ok(xa_sync_msg *m, const char *text, size_t len, int is_request)
{
    unsigned char *buf = exact_copy(text, len);
    int rc = xa_sync_msg_decode(m, (const char *)buf, len, SCOPE, is_request);
    if (rc != 0)
        fail_msg("decode of %.*s: rc %d (%s)", len > 400 ? 400 : (int)len, text, rc,
                 xa_error_last());
    free(buf);
}

/* A message unlike any under test, to show that a refused decode leaves it
 * as it was. */
static void msg_prefill(xa_sync_msg *m)
{
    xa_sync_msg_init(m);
    snprintf(m->scope, sizeof m->scope, "%s", "giu-nguyen");
    m->node = NODE_D;
    assert_int_equal(xa_vv_set(&m->have, NODE_C, 7), 0);
    m->max = 99;
    m->more = 1;
    mkop(push(&m->ops), "giu-nguyen", NODE_C, 7, "para/999", "text", "\"còn đây\"", NULL, 0, 42,
         "Giữ");
}

static void msg_check_untouched(const xa_sync_msg *m)
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
static void
expect_msg_code_n(const char *text, size_t len, const char *scope, int is_request, int want)
{
    unsigned char *buf = exact_copy(text, len);
    xa_sync_msg m;
    msg_prefill(&m);
    int rc = xa_sync_msg_decode(&m, (const char *)buf, len, scope, is_request);
    if (rc != want)
        /* a long text: its head and its tail, where the cases differ */
        fail_msg("decode as %s of %.*s%s%.*s (%zu bytes): rc %d (%s), want %d (%s)",
                 is_request ? "request" : "response", len > 400 ? 200 : (int)len, text,
                 len > 400 ? " ... " : "", len > 400 ? 200 : 0,
                 text + (len > 400 ? len - 200 : len), len, rc, rc ? xa_error_last() : "accepted",
                 want, xa_error_name(want));
    msg_check_untouched(&m);
    xa_sync_msg_clear(&m);
    free(buf);
}

/* The members of a message as JSON texts (NULL: left out), in the order of
 * the header. */
typedef struct parts {
    const char *scope, *node, *have, *max, *more, *nodes, *snapshot;
} parts;

#define GOOD_HAVE "{\"" HEX_A "\":1,\"" HEX_C "\":4}"
#define GOOD_OP_A "[1,\"para/001\",\"text\",\"Đạt 100% kế hoạch\",{},1719792000123,\"An\"]"
#define GOOD_NODES "{\"" HEX_A "\":[" GOOD_OP_A "]}"
/* A good group first, then `op` under node B: a refusal must undo the good
 * op too. */
#define NODES_B(op) "{\"" HEX_A "\":[" GOOD_OP_A "],\"" HEX_B "\":[" op "]}"

static parts request_parts(void)
{
    return (parts){"\"" SCOPE "\"", "\"" HEX_B "\"", GOOD_HAVE, "100", NULL, GOOD_NODES, NULL};
}

static parts response_parts(void)
{
    return (parts){"\"" SCOPE "\"", NULL, GOOD_HAVE, NULL, "false", GOOD_NODES, NULL};
}

/* The message text; malloc'd. */
static char *build(const parts *p)
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

static void expect_parts(const parts *p, int is_request, int want)
{
    char *t = build(p);
    expect_msg_code_n(t, strlen(t), SCOPE, is_request, want);
    free(t);
}

static void expect_parts_ok(const parts *p, int is_request, size_t nops)
{
    char *t = build(p);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    decode_ok(&m, t, strlen(t), is_request);
    assert_int_equal(m.ops.n, nops);
    xa_sync_msg_clear(&m);
    free(t);
}

/* ---- messages: round trips ---------------------------------------------- */

/* The object has exactly the members named, no other. */
static void assert_members(const cJSON *doc, const char *const *names, size_t n)
{
    const cJSON *e;
    assert_true(cJSON_IsObject(doc));
    for (size_t i = 0; i < n; i++)
        if (cJSON_GetObjectItemCaseSensitive(doc, names[i]) == NULL)
            fail_msg("no member \"%s\"", names[i]);
    cJSON_ArrayForEach(e, doc)
    {
        size_t i = 0;
        while (i < n && strcmp(e->string, names[i]) != 0)
            i++;
        if (i == n)
            fail_msg("a member \"%s\" the format does not have", e->string);
    }
    assert_int_equal(cJSON_GetArraySize(doc), n);
}

static void test_changeset__request_round_trip(void **state)
{
    (void)state;
    xa_sync_msg m;
    request_make(&m);
    size_t len = 0;
    char *text = encode_ok(&m, 1, &len);

    /* the documented members, checked with cJSON rather than the codec */
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    static const char *const members[] = {"scope", "node", "have", "max", "nodes"};
    assert_members(doc, members, 5);
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, "scope");
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, SCOPE);
    j = cJSON_GetObjectItemCaseSensitive(doc, "node");
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, HEX_B);
    j = cJSON_GetObjectItemCaseSensitive(doc, "have");
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 3);
    assert_true(cJSON_GetObjectItemCaseSensitive(j, HEX_A)->valuedouble == 3.0);
    j = cJSON_GetObjectItemCaseSensitive(doc, "max");
    assert_true(cJSON_IsNumber(j) && j->valuedouble == 500.0);
    j = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, HEX_A)), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, HEX_B)), 2);
    cJSON_Delete(doc);
    assert_non_null(strstr(text, "9007199254740991")); /* have[C], exact */

    xa_sync_msg got;
    xa_sync_msg_init(&got);
    decode_ok(&got, text, len, 1);
    assert_msg_equal(&got, &m, 1);

    /* encoding the decoded message gives the same text */
    size_t len2 = 0;
    char *again = encode_ok(&got, 1, &len2);
    assert_string_equal(again, text);
    free(again);
    xa_sync_msg_clear(&got);

    /* and through each kind of compression */
    for (size_t k = 0; k < NKINDS; k++) {
        size_t blen = 0;
        char *back = through(text, len, KINDS[k], &blen);
        xa_sync_msg_init(&got);
        decode_ok(&got, back, blen, 1);
        assert_msg_equal(&got, &m, 1);
        xa_sync_msg_clear(&got);
        free(back);
    }
    free(text);
    xa_sync_msg_clear(&m);
}

static void test_changeset__response_round_trip(void **state)
{
    (void)state;
    for (int more = 0; more <= 1; more++) {
        xa_sync_msg m;
        response_make(&m, more);
        size_t len = 0;
        char *text = encode_ok(&m, 0, &len);

        cJSON *doc = cJSON_Parse(text);
        assert_non_null(doc);
        static const char *const members[] = {"scope", "have", "more", "nodes"};
        assert_members(doc, members, 4);
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, "scope");
        assert_true(cJSON_IsString(j));
        assert_string_equal(j->valuestring, SCOPE);
        j = cJSON_GetObjectItemCaseSensitive(doc, "more");
        assert_true(cJSON_IsBool(j));
        assert_int_equal(cJSON_IsTrue(j), more);
        j = cJSON_GetObjectItemCaseSensitive(doc, "have");
        assert_true(cJSON_IsObject(j));
        assert_int_equal(cJSON_GetArraySize(j), 2);
        j = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
        assert_true(cJSON_IsObject(j));
        assert_int_equal(cJSON_GetArraySize(j), 0);
        cJSON_Delete(doc);

        xa_sync_msg got;
        msg_prefill(&got); /* a successful decode replaces what was there */
        decode_ok(&got, text, len, 0);
        assert_msg_equal(&got, &m, 0);
        assert_int_equal(got.ops.n, 0);
        assert_true(got.node == 0);
        assert_int_equal(got.max, 0);
        assert_null(got.snap);
        xa_sync_msg_clear(&got);
        free(text);
        xa_sync_msg_clear(&m);
    }

    /* an empty vector, and a response that carries ops */
    xa_sync_msg m, r;
    response_make(&m, 1);
    xa_vv_clear(&m.have);
    request_make(&r);
    m.ops = r.ops;
    r.ops = (xa_op_list)XA_OP_LIST_INIT;
    size_t len = 0;
    char *text = encode_ok(&m, 0, &len);
    xa_sync_msg got;
    xa_sync_msg_init(&got);
    decode_ok(&got, text, len, 0);
    assert_msg_equal(&got, &m, 0);
    assert_int_equal(got.have.n, 0);
    xa_sync_msg_clear(&got);
    free(text);
    xa_sync_msg_clear(&r);
    xa_sync_msg_clear(&m);
}

static void test_changeset__response_with_a_snapshot_round_trip(void **state)
{
    (void)state;
    xa_sync_msg m;
    response_make(&m, 0);
    m.snap = snapshot_make();
    size_t len = 0;
    char *text = encode_ok(&m, 0, &len);

    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    static const char *const members[] = {"scope", "have", "more", "nodes", "snapshot"};
    assert_members(doc, members, 5);
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(doc, "snapshot");
    static const char *const snap_members[] = {"have", "fields"};
    assert_members(sn, snap_members, 2);
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(sn, "fields");
    assert_true(cJSON_IsArray(fields));
    assert_int_equal(cJSON_GetArraySize(fields), 2);
    /* [entity, field, fctx, [[node, seq, value, ctx, hlc, author], ...]];
     * fctx 0 when the values imply it */
    const cJSON *f0 = cJSON_GetArrayItem(fields, 0), *f1 = cJSON_GetArrayItem(fields, 1);
    assert_int_equal(cJSON_GetArraySize(f0), 4);
    assert_string_equal(cJSON_GetArrayItem(f0, 0)->valuestring, "ind-4");
    assert_true(cJSON_IsNumber(cJSON_GetArrayItem(f0, 2)));
    assert_true(cJSON_GetArrayItem(f0, 2)->valuedouble == 0.0);
    assert_true(cJSON_IsObject(cJSON_GetArrayItem(f1, 2)));
    const cJSON *sib = cJSON_GetArrayItem(cJSON_GetArrayItem(f1, 3), 1);
    assert_int_equal(cJSON_GetArraySize(sib), 6);
    assert_string_equal(cJSON_GetArrayItem(sib, 0)->valuestring, HEX_D);
    cJSON_Delete(doc);

    xa_sync_msg got;
    msg_prefill(&got);
    decode_ok(&got, text, len, 0);
    assert_msg_equal(&got, &m, 0);
    size_t len2 = 0;
    char *again = encode_ok(&got, 0, &len2);
    assert_string_equal(again, text);
    free(again);
    xa_sync_msg_clear(&got);

    /* through each kind of compression */
    for (size_t k = 0; k < NKINDS; k++) {
        size_t blen = 0;
        char *back = through(text, len, KINDS[k], &blen);
        xa_sync_msg_init(&got);
        decode_ok(&got, back, blen, 0);
        assert_msg_equal(&got, &m, 0);
        xa_sync_msg_clear(&got);
        free(back);
    }
    free(text);

    /* a request has no snapshot */
    m.node = NODE_B;
    text = encode_ok(&m, 1, &len);
    doc = cJSON_Parse(text);
    static const char *const req_members[] = {"scope", "node", "have", "max", "nodes"};
    assert_members(doc, req_members, 5);
    cJSON_Delete(doc);
    free(text);
    xa_sync_msg_clear(&m);
}

static void test_changeset__encode_refuses_an_op_of_another_scope(void **state)
{
    (void)state;
    xa_sync_msg m;
    request_make(&m);
    mkop(push(&m.ops), "tan-lap", NODE_A, 4, "para/001", "text", "\"x\"", NULL, 0, 1, "An");
    for (int is_request = 0; is_request <= 1; is_request++) {
        char *text = OUT_SENTINEL;
        size_t len = OUTLEN_SENTINEL;
        int rc = xa_sync_msg_encode(&text, &len, &m, is_request);
        assert_true(rc < 0);
        assert_ptr_equal(text, OUT_SENTINEL);
        assert_int_equal(len, OUTLEN_SENTINEL);
    }
    xa_sync_msg_clear(&m);
}

/* ---- messages: refusals ---------------------------------------------------- */

static void test_changeset__decode_controls_are_accepted(void **state)
{
    (void)state;
    /* the skeletons the refusals below vary */
    parts p = request_parts();
    expect_parts_ok(&p, 1, 1);
    p = response_parts();
    expect_parts_ok(&p, 0, 1);
    p.more = "true";
    expect_parts_ok(&p, 0, 1);
    p = request_parts();
    p.nodes = NODES_B("[1,\"ind-4\",\"est\",\"1.472\",{},5,\"B\"]");
    expect_parts_ok(&p, 1, 2);
    p.have = "{}";
    expect_parts_ok(&p, 1, 2);
    /* trailing white space is not text */
    char *t = build(&p);
    size_t n = strlen(t);
    char *u = malloc(n + 4);
    assert_non_null(u);
    memcpy(u, t, n);
    memcpy(u + n, " \n\t", 4);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    decode_ok(&m, u, n + 3, 1);
    xa_sync_msg_clear(&m);
    free(u);
    free(t);
}

static void test_changeset__decode_of_another_scope_is_escope(void **state)
{
    (void)state;
    for (int is_request = 0; is_request <= 1; is_request++) {
        parts p = is_request ? request_parts() : response_parts();
        char *t = build(&p);
        expect_msg_code_n(t, strlen(t), "tan-lap", is_request, XA_ESCOPE);
        const char *msg = xa_error_last();
        if (strstr(msg, SCOPE) == NULL || strstr(msg, "tan-lap") == NULL)
            fail_msg("the message should name both scopes: \"%s\"", msg);
        expect_msg_code_n(t, strlen(t), "hoang-ki", is_request, XA_ESCOPE);
        expect_msg_code_n(t, strlen(t), "hoang-kim-2", is_request, XA_ESCOPE);
        free(t);
        p.scope = "\"tan-lap\"";
        expect_parts(&p, is_request, XA_ESCOPE);
    }
}

/* The format and its version are named by the media type, not in the text
 * (changeset.h); the text must still be a message, not an ops file. */
static void test_changeset__decode_rejects_a_bad_scope_or_an_ops_file(void **state)
{
    (void)state;
    static const char *const scopes[] = {
        "\"Hoang Kim\"", "\"\"", "7", "null", "\"hoàng-kim\"", NULL, "[\"" SCOPE "\"]"};
    static const char *const ops_file =
        "{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":" GOOD_NODES
        "}";
    for (int is_request = 0; is_request <= 1; is_request++) {
        for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
            parts p = is_request ? request_parts() : response_parts();
            p.scope = scopes[i];
            expect_parts(&p, is_request, XA_EINVAL);
        }
        expect_msg_code_n(ops_file, strlen(ops_file), SCOPE, is_request, XA_EINVAL);
    }
}

static void test_changeset__decode_rejects_a_request_without_a_good_node_or_max(void **state)
{
    (void)state;
    static const char *const nodes[] = {
        NULL,
        "\"\"",
        "\"123456789abcdef\"",
        "\"0123456789abcdef0\"",
        "\"0000000000000000\"",
        "\"zzzzzzzzzzzzzzzz\"",
        "\" 123456789abcdef\"",
        "\"0x23456789abcdef\"",
        "1",
        "null",
        "{}",
        "[\"" HEX_B "\"]",
    };
    static const char *const maxes[] = {NULL,   "-1",    "1.5",   "\"100\"", "null",
                                        "true", "1e300", "[100]", "{}",      "-0.5"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        parts p = request_parts();
        p.node = nodes[i];
        expect_parts(&p, 1, XA_EINVAL);
    }
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        parts p = request_parts();
        p.max = maxes[i];
        expect_parts(&p, 1, XA_EINVAL);
    }
    /* a response is not a request */
    parts p = response_parts();
    expect_parts(&p, 1, XA_EINVAL);
}

static void test_changeset__decode_rejects_a_response_without_a_good_more(void **state)
{
    (void)state;
    static const char *const mores[] = {NULL, "1", "0", "\"true\"", "null", "[]", "{}"};
    for (size_t i = 0; i < sizeof mores / sizeof mores[0]; i++) {
        parts p = response_parts();
        p.more = mores[i];
        expect_parts(&p, 0, XA_EINVAL);
    }
    /* a request is not a response */
    parts p = request_parts();
    expect_parts(&p, 0, XA_EINVAL);
}

static void test_changeset__decode_rejects_a_bad_have(void **state)
{
    (void)state;
    static const char *const haves[] = {
        NULL,
        "[]",
        "\"" HEX_A ":1\"",
        "null",
        "1",
        "true",
        "[[\"" HEX_A "\",1]]",
        "{\"zzzzzzzzzzzzzzzz\":1}",
        "{\"0000000000000000\":1}",
        "{\"" HEX_A "\":0}",
        "{\"" HEX_A "\":-1}",
        "{\"" HEX_A "\":1.5}",
        "{\"" HEX_A "\":\"1\"}",
        "{\"" HEX_A "\":9007199254740992}",
        "{\"" HEX_A "\":null}",
        "{\"" HEX_A "\":1,\"" HEX_A "\":2}",
        "{\"" HEX_A "\":1,\"" HEX_B "\":2,\"" HEX_D "\":{}}",
    };
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof haves / sizeof haves[0]; i++) {
            parts p = is_request ? request_parts() : response_parts();
            p.have = haves[i];
            expect_parts(&p, is_request, XA_EINVAL);
        }
}

static void test_changeset__decode_rejects_ops_that_are_not_well_formed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "[]",
        "null",
        "\"ops\"",
        "{\"" HEX_A "\":{}}",
        "{\"" HEX_A "\":[" GOOD_OP_A "],\"zzzzzzzzzzzzzzzz\":[]}",
        "{\"" HEX_A "\":[" GOOD_OP_A "],\"0000000000000000\":[]}",
        NODES_B("[0,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[\"1\",\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1.5,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[9007199254740992,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},-1,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5,\"B\",\"x\"]"),
        NODES_B("{}"),
        NODES_B("[1,\"báo cáo\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"e st\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5,\"B\\nAn\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,[],5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{\"" HEX_A "\":0},5,\"B\"]"),
        NODES_B("[1,\"ind-4\\u0000x\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",\"ab\xff"
                "cd\",{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",\"\xed\xa0\x80\",{},5,\"B\"]"),
    };
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            parts p = is_request ? request_parts() : response_parts();
            p.nodes = bad[i];
            expect_parts(&p, is_request, XA_EINVAL);
        }

    /* a value over XA_VALUE_MAX */
    size_t vlen = XA_VALUE_MAX + 1;
    const char *pre = "{\"" HEX_B "\":[[1,\"ind-4\",\"text\",\"";
    const char *post = "\",{},5,\"B\"]]}";
    char *nodes = malloc(strlen(pre) + vlen + strlen(post) + 1);
    assert_non_null(nodes);
    size_t off = strlen(pre);
    memcpy(nodes, pre, off);
    memset(nodes + off, 'a', vlen - 2);
    off += vlen - 2;
    memcpy(nodes + off, post, strlen(post) + 1);
    parts p = request_parts();
    p.nodes = nodes;
    expect_parts(&p, 1, XA_ETOOBIG);
    free(nodes);
}

#define SIB_A "[\"" HEX_A "\",2,\"1.472\",{\"" HEX_A "\":1},1719792000123,\"An\"]"
#define SNAP_FIELD(sibs) "[\"ind-4\",\"est\",0,[" sibs "]]"
#define SNAP(fields) "{\"have\":{\"" HEX_A "\":2},\"fields\":[" fields "]}"
/* A good field first, then `field`: a refusal must undo the good one. */
#define SNAP_2(field) SNAP(SNAP_FIELD(SIB_A) "," field)
#define SNAP_SIB(sib) SNAP_2("[\"para/003\",\"text\",0,[" SIB_A "," sib "]]")

static void test_changeset__decode_rejects_a_bad_snapshot(void **state)
{
    (void)state;
    /* controls */
    parts p = response_parts();
    p.snapshot = SNAP(SNAP_FIELD(SIB_A));
    char *t = build(&p);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    decode_ok(&m, t, strlen(t), 0);
    assert_non_null(m.snap);
    assert_int_equal(m.snap->n, 1);
    assert_int_equal(m.snap->f[0].n, 1);
    assert_int_equal(xa_vv_get(&m.snap->f[0].fctx, NODE_A), 2); /* implied */
    xa_sync_msg_clear(&m);
    free(t);
    p.snapshot = "{\"have\":{},\"fields\":[]}";
    expect_parts_ok(&p, 0, 1);
    p.snapshot = SNAP_SIB("[\"" HEX_B "\",1,null,{},5,\"B\"]");
    expect_parts_ok(&p, 0, 1);

    static const char *const bad[] = {
        "null",
        "[]",
        "1",
        "\"snapshot\"",
        "{}",
        "{\"fields\":[]}",
        "{\"have\":[],\"fields\":[]}",
        "{\"have\":{},\"fields\":{}}",
        "{\"have\":{\"zzzzzzzzzzzzzzzz\":1},\"fields\":[]}",
        /* fields */
        SNAP_2("1"),
        SNAP_2("[]"),
        SNAP_2("[\"ind-4\",\"est\",0]"),
        SNAP_2("[\"ind-4\",\"est\",0,[],1]"),
        SNAP_2("[4,\"est\",0,[]]"),
        SNAP_2("[\"báo cáo\",\"est\",0,[]]"),
        SNAP_2("[\"ind-4\",\"e st\",0,[]]"),
        SNAP_2("[\"ind-4\",null,0,[]]"),
        SNAP_2("[\"ind-4\",\"est\",\"x\",[]]"),
        SNAP_2("[\"ind-4\",\"est\",1,[]]"),
        SNAP_2("[\"ind-4\",\"est\",[],[]]"),
        SNAP_2("[\"ind-4\",\"est\",{\"zzzzzzzzzzzzzzzz\":1},[]]"),
        SNAP_2("[\"ind-4\",\"est\",{\"" HEX_A "\":0},[]]"),
        SNAP_2("[\"ind-4\",\"est\",0,{}]"),
        /* values */
        SNAP_SIB("[]"),
        SNAP_SIB("1"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"B\",7]"),
        SNAP_SIB("[\"zzzzzzzzzzzzzzzz\",1,1,{},5,\"B\"]"),
        SNAP_SIB("[\"0000000000000000\",1,1,{},5,\"B\"]"),
        SNAP_SIB("[1,1,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",0,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",\"1\",1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1.5,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",9007199254740992,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},-1,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},\"5\",\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,[],5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{\"zzzzzzzzzzzzzzzz\":1},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,7]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,null]"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = response_parts();
        p.snapshot = bad[i];
        expect_parts(&p, 0, XA_EINVAL);
    }

    /* a value over XA_VALUE_MAX */
    size_t vlen = XA_VALUE_MAX + 1;
    const char *pre = "{\"have\":{},\"fields\":[[\"ind-4\",\"text\",0,[[\"" HEX_B "\",1,\"";
    const char *post = "\",{},5,\"B\"]]]]}";
    char *big = malloc(strlen(pre) + vlen + strlen(post) + 1);
    assert_non_null(big);
    size_t off = strlen(pre);
    memcpy(big, pre, off);
    memset(big + off, 'a', vlen - 2);
    off += vlen - 2;
    memcpy(big + off, post, strlen(post) + 1);
    p.snapshot = big;
    expect_parts(&p, 0, XA_ETOOBIG);
    free(big);
}

/* A snapshot's values are ops: their authors pass the checks an op's author
 * passes in "nodes" (no control character, at most XA_AUTHOR_MAX bytes). */
static void test_changeset__decode_rejects_a_snapshot_author_the_codec_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"Bình\\nAn\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"\\u0007\"]"),
    };
    parts p = response_parts();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.snapshot = bad[i];
        expect_parts(&p, 0, XA_EINVAL);
    }
    char *author = malloc(XA_AUTHOR_MAX + 2);
    assert_non_null(author);
    memset(author, 'x', XA_AUTHOR_MAX + 1);
    author[XA_AUTHOR_MAX + 1] = '\0';
    char snap[1024];
    int w = snprintf(snap, sizeof snap, SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof snap);
    p.snapshot = snap;
    expect_parts(&p, 0, XA_EINVAL);
    /* control: at the limit it is fine */
    author[XA_AUTHOR_MAX] = '\0';
    w = snprintf(snap, sizeof snap, SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof snap);
    expect_parts_ok(&p, 0, 1);
    free(author);
}

static void test_changeset__decode_rejects_text_that_is_not_one_message(void **state)
{
    (void)state;
    static const char *const notmsg[] = {
        "", " ", "x", "[]", "null", "42", "\"xasync-sync\"", "{}", "{\"format\":\"xasync-sync\"}"};
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof notmsg / sizeof notmsg[0]; i++)
            expect_msg_code_n(notmsg[i], strlen(notmsg[i]), SCOPE, is_request, XA_EINVAL);

    static const char *const tails[] = {" x", "{}", ",", "}", "\n[]", "\0{}"};
    static const size_t tail_len[] = {2, 2, 1, 1, 3, 3};
    for (int is_request = 0; is_request <= 1; is_request++) {
        parts p = is_request ? request_parts() : response_parts();
        char *t = build(&p);
        size_t n = strlen(t);
        for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
            char *u = malloc(n + tail_len[i]);
            assert_non_null(u);
            memcpy(u, t, n);
            memcpy(u + n, tails[i], tail_len[i]);
            expect_msg_code_n(u, n + tail_len[i], SCOPE, is_request, XA_EINVAL);
            free(u);
        }
        /* the scope cut at an escaped NUL would be the expected one */
        p.scope = "\"" SCOPE "\\u0000x\"";
        char *s = build(&p);
        xa_sync_msg m;
        msg_prefill(&m);
        int rc = xa_sync_msg_decode(&m, s, strlen(s), SCOPE, is_request);
        if (rc != XA_EINVAL && rc != XA_ESCOPE)
            fail_msg("scope \"" SCOPE "\\u0000x\": rc %d, want EINVAL or ESCOPE", rc);
        msg_check_untouched(&m);
        xa_sync_msg_clear(&m);
        free(s);
        /* not UTF-8, in a member the codec does not read */
        p = is_request ? request_parts() : response_parts();
        p.have = "{\"" HEX_A "\":1,\"x\xff\":[]}";
        expect_parts(&p, is_request, XA_EINVAL);
        free(t);
    }
}

static void test_changeset__decode_rejects_every_truncation(void **state)
{
    (void)state;
    for (int is_request = 0; is_request <= 1; is_request++) {
        xa_sync_msg m;
        if (is_request) {
            request_make(&m);
        } else {
            response_make(&m, 1);
            m.snap = snapshot_make();
            xa_sync_msg r;
            request_make(&r);
            m.ops = r.ops;
            r.ops = (xa_op_list)XA_OP_LIST_INIT;
            xa_sync_msg_clear(&r);
        }
        size_t len = 0;
        char *text = encode_ok(&m, is_request, &len);
        for (size_t cut = 0; cut < len; cut++)
            expect_msg_code_n(text, cut, SCOPE, is_request, XA_EINVAL);
        free(text);
        xa_sync_msg_clear(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset__request_round_trip),
        cmocka_unit_test(test_changeset__response_round_trip),
        cmocka_unit_test(test_changeset__response_with_a_snapshot_round_trip),
        cmocka_unit_test(test_changeset__encode_refuses_an_op_of_another_scope),
        cmocka_unit_test(test_changeset__decode_controls_are_accepted),
        cmocka_unit_test(test_changeset__decode_of_another_scope_is_escope),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_scope_or_an_ops_file),
        cmocka_unit_test(test_changeset__decode_rejects_a_request_without_a_good_node_or_max),
        cmocka_unit_test(test_changeset__decode_rejects_a_response_without_a_good_more),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_have),
        cmocka_unit_test(test_changeset__decode_rejects_ops_that_are_not_well_formed),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_snapshot),
        cmocka_unit_test(test_changeset__decode_rejects_a_snapshot_author_the_codec_refuses),
        cmocka_unit_test(test_changeset__decode_rejects_text_that_is_not_one_message),
        cmocka_unit_test(test_changeset__decode_rejects_every_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
