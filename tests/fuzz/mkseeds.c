/*
 * Writes the seed inputs of fuzz_changeset into a folder: sync requests and
 * responses and an ops file, each packed with one of the three kinds, and
 * as plain text (see fuzz_changeset.c for the input format: one byte for
 * the kind, then the body).
 *
 * Built and run by `tests/fuzz/run.sh --seeds`, which rewrites
 * tests/fuzz/corpus/seed-*; the output is deterministic, so the committed
 * seeds change only when the formats do.
 */
#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE "hoang-kim"

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "mkseeds: %s (%s)\n", what, xa_error_last());
    exit(1);
}

static char *xdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        die("out of memory");
    return p;
}

static void add_op(xa_op_list *l,
                   xa_node node,
                   uint64_t seq,
                   const char *entity,
                   const char *field,
                   const char *value,
                   xa_node ctx_node,
                   uint64_t ctx_seq,
                   const char *author)
{
    xa_op *op = xa_op_list_push(l);
    if (op == NULL)
        die("out of memory");
    op->scope = xdup(SCOPE);
    op->node = node;
    op->seq = seq;
    op->entity = xdup(entity);
    op->field = xdup(field);
    op->value = xdup(value);
    if (ctx_seq && xa_vv_set(&op->ctx, ctx_node, ctx_seq) != 0)
        die("vv");
    op->hlc = 1719792000000LL + (int64_t)seq * 1000;
    op->author = xdup(author);
}

static void make_ops(xa_op_list *l)
{
    const xa_node a = 0x8f3a1c2b4d5e6f70ULL, b = 0x00c0ffee00000a0bULL;
    add_op(l, a, 1, "meta", "title",
           "\"Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2024\"", 0, 0, "Nguyễn Thị Hoa");
    add_op(l, a, 2, "para/001", "text",
           "\"Thực hiện hướng dẫn của UBND huyện, UBND xã báo cáo như sau:\"", a, 1,
           "Nguyễn Thị Hoa");
    add_op(l, b, 1, "ind-4", "est", "\"1.472\"", a, 2, "Lê Quang Thành");
    add_op(l, b, 2, "ind-4", "note", "{\"dvt\":\"tấn\",\"sl\":[1,2,null]}", b, 1, "Lê Quang Thành");
    add_op(l, a, 3, "para/001", "pos", "0.5", b, 2, "Nguyễn Thị Hoa");
}

/* A response's snapshot: the state the ops of make_ops() leave, fields in
 * conflict or not, contexts implied or not. */
static xa_snapshot *make_snapshot(void)
{
    const xa_node a = 0x8f3a1c2b4d5e6f70ULL, b = 0x00c0ffee00000a0bULL;
    xa_snapshot *sn = calloc(1, sizeof(*sn));
    xa_op_list l = XA_OP_LIST_INIT;

    if (sn == NULL || (sn->f = calloc(2, sizeof(*sn->f))) == NULL)
        die("out of memory");
    if (xa_vv_set(&sn->have, a, 3) != 0 || xa_vv_set(&sn->have, b, 2) != 0)
        die("vv");
    make_ops(&l);
    /* ind-4/est: b1 alone, its context implied */
    sn->f[0].entity = xdup("ind-4");
    sn->f[0].field = xdup("est");
    if ((sn->f[0].sib = calloc(1, sizeof(xa_op))) == NULL)
        die("out of memory");
    sn->f[0].sib[0] = l.ops[2];
    sn->f[0].n = 1;
    if (xa_vv_set(&sn->f[0].fctx, a, 2) != 0 || xa_vv_set(&sn->f[0].fctx, b, 1) != 0)
        die("vv");
    /* para/001/text: a2, with a context wider than it */
    sn->f[1].entity = xdup("para/001");
    sn->f[1].field = xdup("text");
    if ((sn->f[1].sib = calloc(1, sizeof(xa_op))) == NULL)
        die("out of memory");
    sn->f[1].sib[0] = l.ops[1];
    sn->f[1].n = 1;
    if (xa_vv_set(&sn->f[1].fctx, a, 3) != 0 || xa_vv_set(&sn->f[1].fctx, b, 2) != 0)
        die("vv");
    sn->n = 2;
    /* the two ops moved into the snapshot; clear the rest */
    memset(&l.ops[1], 0, sizeof(xa_op));
    memset(&l.ops[2], 0, sizeof(xa_op));
    xa_op_list_free(&l);
    return sn;
}

static void write_seed(const char *dir, const char *name, int kind, const char *text, size_t len)
{
    char path[4096];
    unsigned char *body = (unsigned char *)(uintptr_t)text;
    size_t blen = len;
    unsigned char k = (unsigned char)kind;

    if (kind != 0 && xa_pack(&body, &blen, text, len, kind) != 0)
        die("pack");
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= sizeof path)
        die("path too long");
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(&k, 1, 1, f) != 1 || fwrite(body, 1, blen, f) != blen || fclose(f) != 0)
        die(path);
    if (kind != 0)
        free(body);
}

int main(int argc, char **argv)
{
    xa_sync_msg req, resp;
    char *rq = NULL, *rs = NULL, *ops = NULL, *moved = NULL;
    xa_chains ch = {0};
    size_t rqlen = 0, rslen = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    xa_sync_msg_init(&req);
    xa_sync_msg_init(&resp);
    snprintf(req.scope, sizeof req.scope, "%s", SCOPE);
    snprintf(resp.scope, sizeof resp.scope, "%s", SCOPE);
    req.node = 0x8f3a1c2b4d5e6f70ULL;
    req.max = 500;
    if (xa_vv_set(&req.have, 0x8f3a1c2b4d5e6f70ULL, 3) != 0 ||
        xa_vv_set(&req.have, 0x00c0ffee00000a0bULL, 2) != 0 ||
        xa_vv_set(&resp.have, 0x8f3a1c2b4d5e6f70ULL, 3) != 0)
        die("vv");
    make_ops(&req.ops);
    make_ops(&resp.ops);
    resp.more = 1;
    resp.snap = make_snapshot();

    if (xa_sync_msg_encode(&rq, &rqlen, &req, 1) != 0 ||
        xa_sync_msg_encode(&rs, &rslen, &resp, 0) != 0 ||
        xa_codec_encode(&ops, SCOPE, req.ops.ops, req.ops.n) != 0)
        die("encode");
    /* an ops file that carries moves (["<old node>", keep, "<new node>"]) */
    if (xa_chains_add_move(&ch, 0x8f3a1c2b4d5e6f70ULL, 2, 0x1b2c3d4e5f607182ULL) != 0 ||
        xa_chains_add_move(&ch, 0x00c0ffee00000a0bULL, 0, 0x00c0ffee00000a0cULL) != 0 ||
        xa_codec_encode_chains(&moved, SCOPE, req.ops.ops, req.ops.n, &ch) != 0)
        die("encode moves");

    write_seed(argv[1], "seed-request-dict", XA_PACK_DICT, rq, rqlen);
    write_seed(argv[1], "seed-response-dict", XA_PACK_DICT, rs, rslen);
    write_seed(argv[1], "seed-request-deflate", XA_PACK_DEFLATE, rq, rqlen);
    write_seed(argv[1], "seed-response-gzip", XA_PACK_GZIP, rs, rslen);
    write_seed(argv[1], "seed-ops-gzip", XA_PACK_GZIP, ops, strlen(ops));
    write_seed(argv[1], "seed-request-json", 0, rq, rqlen);
    write_seed(argv[1], "seed-response-json", 0, rs, rslen);
    write_seed(argv[1], "seed-ops-json", 0, ops, strlen(ops));
    write_seed(argv[1], "seed-ops-moves", 0, moved, strlen(moved));

    free(rq);
    free(rs);
    free(ops);
    free(moved);
    xa_chains_free(&ch);
    xa_sync_msg_clear(&req);
    xa_sync_msg_clear(&resp);
    return 0;
}
