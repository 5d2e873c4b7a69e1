/*
 * Fuzz target: a sync body as the server receives it, through every
 * decoder that reads it (include/xasync/changeset.h, codec.h).
 *
 * Input: one byte choosing the compression, then the body.
 *   first byte % 4 == 0   the body is taken as already inflated text, so
 *                         the fuzzer reaches the JSON decoders without
 *                         having to forge zlib checksums;
 *                    1..3 XA_PACK_DICT, XA_PACK_DEFLATE, XA_PACK_GZIP:
 *                         xa_unpack() with max_out 1 MiB first.
 * The text is then decoded as a sync request, a sync response and an ops
 * file.  What must hold, beyond "no crash, no leak, no undefined
 * behaviour" (the sanitizers):
 *   1. a refusal leaves the outputs as they were (checked with sentinels);
 *   2. a decoded message or ops list encodes again, and that text decodes
 *      and encodes to the very same text (encoding is canonical after one
 *      trip), so what the server accepts it can also send on.
 * A broken property calls abort(), which libFuzzer reports as a crash.
 *
 * Built with -fsanitize=fuzzer by tests/fuzz/run.sh.  Without libFuzzer,
 * define XA_FUZZ_MAIN to get a main() that replays files and folders of
 * inputs:  fuzz_changeset tests/fuzz/corpus [crash-file ...]
 * The replay also checks that each seed (tests/fuzz/mkseeds.c) still
 * decodes as what its name says: seed-request-*, seed-response-*,
 * seed-ops-*; a seed the decoders now refuse fails the replay.
 */
#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE "hoang-kim"
#define MAX_OUT ((size_t)1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the inputs decoded as (reported by the replay driver). */
static size_t n_decoded[3]; /* responses, requests, ops files */

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "fuzz_changeset: %s (%s)\n", what, xa_error_last());
    abort();
}

/* Encode, decode, encode again: the two texts must be the same. */
static void check_msg_trip(const xa_sync_msg *m, int is_request)
{
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    xa_sync_msg back;

    if (xa_sync_msg_encode(&t1, &l1, m, is_request) != 0)
        fail("a decoded message does not encode");
    xa_sync_msg_init(&back);
    if (xa_sync_msg_decode(&back, t1, l1, SCOPE, is_request) != 0)
        fail("an encoded message does not decode");
    if (xa_sync_msg_encode(&t2, &l2, &back, is_request) != 0)
        fail("a message does not encode a second time");
    if (l1 != l2 || memcmp(t1, t2, l1) != 0)
        fail("a message encodes differently after a round trip");
    xa_sync_msg_clear(&back);
    free(t1);
    free(t2);
}

static void check_ops_trip(const xa_op_list *l)
{
    char *t1 = NULL, *t2 = NULL;
    xa_op_list back = XA_OP_LIST_INIT;

    if (xa_codec_encode(&t1, SCOPE, l->ops, l->n) != 0)
        fail("decoded ops do not encode");
    if (xa_codec_decode(&back, t1, strlen(t1), SCOPE) != 0)
        fail("encoded ops do not decode");
    if (back.n != l->n)
        fail("ops decode to another number of ops");
    if (xa_codec_encode(&t2, SCOPE, back.ops, back.n) != 0)
        fail("ops do not encode a second time");
    if (strcmp(t1, t2) != 0)
        fail("ops encode differently after a round trip");
    xa_op_list_free(&back);
    free(t1);
    free(t2);
}

static void decode_text(const char *text, size_t len)
{
    for (int is_request = 0; is_request <= 1; is_request++) {
        xa_sync_msg m;
        xa_sync_msg_init(&m);
        m.max = 77; /* a sentinel: a refusal must not touch it */
        int rc = xa_sync_msg_decode(&m, text, len, SCOPE, is_request);
        if (rc == 0) {
            n_decoded[is_request]++;
            check_msg_trip(&m, is_request);
        } else if (m.max != 77 || m.ops.n != 0 || m.have.n != 0)
            fail("a refused message changed its output");
        xa_sync_msg_clear(&m);
    }

    /* the ops file as `xasync apply` reads it: with its chain digests */
    xa_op_list l = XA_OP_LIST_INIT;
    xa_chains ch = {0};
    int rc = xa_codec_decode_chains(&l, text, len, SCOPE, &ch);
    if (rc == 0) {
        n_decoded[2]++;
        check_ops_trip(&l);
        /* what was accepted holds no text cJSON would have cut short */
        for (size_t i = 0; i < l.n; i++)
            if (xa_json_text_check(l.ops[i].value, strlen(l.ops[i].value), "a value") != 0)
                fail("a decoded value holds a NUL or a raw control character");
        if (ch.n) {
            char *t1 = NULL;
            xa_chains back = {0};
            xa_op_list l2 = XA_OP_LIST_INIT;
            if (xa_codec_encode_chains(&t1, SCOPE, l.ops, l.n, &ch) != 0 ||
                xa_codec_decode_chains(&l2, t1, strlen(t1), SCOPE, &back) != 0 || back.n != ch.n ||
                memcmp(back.p, ch.p, ch.n * sizeof(*ch.p)) != 0)
                fail("chains do not survive a round trip");
            xa_chains_free(&back);
            xa_op_list_free(&l2);
            free(t1);
        }
    } else if (l.n != 0 || ch.n != 0)
        fail("refused ops changed the list");
    xa_chains_free(&ch);
    xa_op_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int kind;

    if (size < 1)
        return 0;
    kind = data[0] % 4;
    if (kind == 0) {
        /* exactly `size - 1` bytes, no NUL after them: an overread shows */
        char *text = malloc(size - 1 ? size - 1 : 1);
        if (text == NULL)
            return 0;
        memcpy(text, data + 1, size - 1);
        decode_text(text, size - 1);
        free(text);
        return 0;
    }

    char sentinel, *out = &sentinel;
    size_t outlen = 12345;
    int rc = xa_unpack(&out, &outlen, data + 1, size - 1, kind, MAX_OUT);
    if (rc != 0) {
        if (out != &sentinel || outlen != 12345)
            fail("a refused body changed its outputs");
        if (rc != XA_EINVAL && rc != XA_ETOOBIG && rc != XA_ENOMEM)
            fail("unpack refused a body with an undocumented code");
        return 0;
    }
    if (outlen > MAX_OUT || out[outlen] != '\0')
        fail("unpack broke its bound or did not end the text");
    decode_text(out, outlen);
    free(out);
    return 0;
}

#ifdef XA_FUZZ_MAIN
/* Replay: each argument is an input file or a folder of them. */
#include <dirent.h>
#include <sys/stat.h>

/* What a seed's file name says it decodes as: an index into n_decoded, or
 * -1 for a file that is not a seed (a crash reproducer, a fuzzer's find). */
static int seed_kind(const char *path)
{
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (strncmp(base, "seed-response-", 14) == 0)
        return 0;
    if (strncmp(base, "seed-request-", 13) == 0)
        return 1;
    if (strncmp(base, "seed-ops-", 9) == 0)
        return 2;
    return -1;
}

static size_t n_seeds, n_seeds_refused;

static int run_file(const char *path)
{
    static const char *const kind_name[3] = {"a sync response", "a sync request", "an ops file"};
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *b = realloc(buf, ncap);
            if (b == NULL) {
                fclose(f);
                free(buf);
                return -1;
            }
            buf = b;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    int kind = seed_kind(path);
    size_t before = kind >= 0 ? n_decoded[kind] : 0;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    if (kind >= 0) {
        n_seeds++;
        if (n_decoded[kind] == before) {
            n_seeds_refused++;
            fprintf(stderr, "fuzz_changeset: seed %s no longer decodes as %s\n", path,
                    kind_name[kind]);
            return -1;
        }
    }
    return 0;
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    struct dirent *e;
    int rc = 0;
    if (d == NULL) {
        perror(path);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[4096];
        if (e->d_name[0] == '.')
            continue;
        int w = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (w < 0 || (size_t)w >= sizeof sub)
            continue;
        if (run_path(sub, count) < 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) < 0)
            rc = 1;
    fprintf(stderr,
            "fuzz_changeset: replayed %zu inputs; decoded %zu requests, %zu responses, "
            "%zu ops files; %zu of %zu seeds decode as their names say\n",
            count, n_decoded[1], n_decoded[0], n_decoded[2], n_seeds - n_seeds_refused, n_seeds);
    return rc;
}
#endif
