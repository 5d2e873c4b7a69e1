/*
 * Apply cost against the batch size (issue 11, "sibling flood"): a batch of
 * N ops of one node on one field through xa_store_apply, on a real database
 * file, for N = 10,000 and 100,000:
 *   - honest: each op's context holds the node's previous write (what a PC
 *     writes): applied, one value at the end;
 *   - flood: every context empty: refused as malformed (before: 10,000
 *     siblings, quadratic);
 *   - spread: N ops of 100 nodes over 1,000 fields, contexts as a PC
 *     writes them.
 * Prints seconds and ops per second; never fails.  Run:
 *   cmake --build BUILD --target bench_apply && BUILD/bench/bench_apply [N...]
 */
#include "xasync/error.h"
#include "xasync/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCOPE "hoang-kim"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *sdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    memcpy(d, s, n);
    return d;
}

static void mk(xa_op *op, xa_node node, uint64_t seq, const char *entity, const char *field)
{
    char v[32];

    memset(op, 0, sizeof(*op));
    snprintf(v, sizeof v, "\"v%llu\"", (unsigned long long)seq);
    op->scope = sdup(SCOPE);
    op->node = node;
    op->seq = seq;
    op->entity = sdup(entity);
    op->field = sdup(field);
    op->value = sdup(v);
    op->hlc = 1717200000000LL + (int64_t)seq;
    op->author = sdup("bench");
}

static void run(const char *what, size_t n, xa_op *ops)
{
    char dir[] = "/tmp/xasync-bench-XXXXXX", path[128];
    xa_store *st = NULL;
    xa_apply_result res = {0, 0, 0};
    double t0, t1;
    int rc;

    if (mkdtemp(dir) == NULL)
        return;
    snprintf(path, sizeof path, "%s/b.db", dir);
    if (xa_store_create(&st, path, SCOPE) != 0) {
        fprintf(stderr, "create: %s\n", xa_error_last());
        return;
    }
    t0 = now_s();
    clock_t c0 = clock();
    rc = xa_store_apply(st, SCOPE, ops, n, &res);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    t1 = now_s();
    printf("%-7s %7zu ops: %8.3f s (%.3f s CPU)  %9.0f ops/s  %.80s\n", what, n, t1 - t0, cpu,
           (double)n / (t1 - t0), rc == 0 ? "applied" : xa_error_last());
    fflush(stdout);
    xa_store_close(st);
    unlink(path);
    snprintf(path, sizeof path, "%s/b.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/b.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    size_t sizes[8] = {10000, 100000};
    int nsizes = 2;

    if (argc > 1) {
        nsizes = 0;
        for (int i = 1; i < argc && nsizes < 8; i++)
            sizes[nsizes++] = (size_t)strtoull(argv[i], NULL, 10);
    }
    for (int k = 0; k < nsizes; k++) {
        size_t n = sizes[k];
        xa_op *ops = calloc(n, sizeof(*ops));
        xa_node a = 0x0a0b0c0d0e0f1011ULL;

        for (size_t i = 0; i < n; i++) {
            mk(&ops[i], a, i + 1, "r", "x");
            if (i)
                xa_vv_set(&ops[i].ctx, a, i);
        }
        run("honest", n, ops);
        for (size_t i = 0; i < n; i++)
            xa_vv_clear(&ops[i].ctx);
        run("flood", n, ops);
        for (size_t i = 0; i < n; i++)
            xa_op_clear(&ops[i]);

        /* 100 nodes, 1,000 fields: node j writes field (i % 1000) having
         * seen its own last write there */
        size_t per = n / 100;
        for (size_t j = 0; j < 100; j++) {
            for (size_t i = 0; i < per; i++) {
                xa_op *op = &ops[j * per + i];
                char f[16];
                snprintf(f, sizeof f, "f%zu", (i * 7 + j) % 1000);
                mk(op, 0x1000 + j, i + 1, "r", f);
                if (i >= 1000 / 7 + 1) {
                    /* its previous write to f was ~143 seqs ago: claim all
                     * of its own seqs so far */
                    xa_vv_set(&op->ctx, 0x1000 + j, i);
                } else if (i) {
                    xa_vv_set(&op->ctx, 0x1000 + j, i);
                }
            }
        }
        run("spread", per * 100, ops);
        for (size_t i = 0; i < per * 100; i++)
            xa_op_clear(&ops[i]);
        free(ops);
    }
    return 0;
}
