/*
 * How fast a zip bomb is refused: a body of 100 MB of zeros packed by
 * deflate (about 100 KB) unpacked with the 1 MiB bound a sync message
 * has, for each kind that takes a plain zlib stream and for gzip.  Prints
 * the median and the worst of 20 runs and the peak memory growth: refusing
 * stops at the bound, so it costs what 1 MiB of inflating costs (goal:
 * under 0.1 s).  The functional test (tests/sync/test_changeset_pack.c) checks
 * the refusal and the memory; the time is here.
 */
#include "xasync/changeset.h"
#include "xasync/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#define ZEROS ((size_t)100 * 1000 * 1000)
#define MIB ((size_t)1 << 20)
#define RUNS 20

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A zlib (or gzip) stream of `nzeros` zero bytes, made without holding
 * them.  malloc'd; exits on failure. */
static unsigned char *zeros_stream(size_t nzeros, int gzip, size_t *outlen)
{
    static const unsigned char zero[64 * 1024];
    size_t cap = nzeros / 512 + 4096;
    unsigned char *out = malloc(cap);
    z_stream z;

    memset(&z, 0, sizeof z);
    if (out == NULL || deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, gzip ? 15 + 16 : 15, 9,
                                    Z_DEFAULT_STRATEGY) != Z_OK) {
        fprintf(stderr, "bench_unpack: deflateInit2 failed\n");
        exit(1);
    }
    z.next_out = out;
    z.avail_out = (uInt)cap;
    for (size_t left = nzeros; left > 0;) {
        size_t n = left < sizeof zero ? left : sizeof zero;

        z.next_in = (Bytef *)(uintptr_t)zero;
        z.avail_in = (uInt)n;
        if (deflate(&z, Z_NO_FLUSH) != Z_OK || z.avail_out == 0) {
            fprintf(stderr, "bench_unpack: deflate failed\n");
            exit(1);
        }
        left -= n;
    }
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        fprintf(stderr, "bench_unpack: deflate did not finish\n");
        exit(1);
    }
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(void)
{
    static const struct {
        const char *name;
        int kind, gzip;
    } kinds[] = {
        {"deflate", XA_PACK_DEFLATE, 0},
        {"dict", XA_PACK_DICT, 0},
        {"gzip", XA_PACK_GZIP, 1},
    };

    printf("zip bomb: %zu bytes of zeros, unpacked with a bound of %zu bytes, %d runs\n", ZEROS,
           MIB, RUNS);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t blen = 0;
        unsigned char *bomb = zeros_stream(ZEROS, kinds[k].gzip, &blen);
        double t[RUNS];
        long rss0 = maxrss_kib();

        for (int i = 0; i < RUNS; i++) {
            char *out = NULL;
            size_t outlen = 0;
            double t0 = now_s();
            int rc = xa_unpack(&out, &outlen, bomb, blen, kinds[k].kind, MIB);

            t[i] = now_s() - t0;
            free(out);
            if (rc != XA_ETOOBIG) {
                fprintf(stderr, "bench_unpack: %s: the bomb was not refused (%d: %s)\n",
                        kinds[k].name, rc, xa_error_last());
                return 1;
            }
        }
        qsort(t, RUNS, sizeof t[0], cmp_double);
        printf("  %-8s %7zu bytes packed: refused in %.4f s median, %.4f s worst; "
               "peak memory +%ld KiB\n",
               kinds[k].name, blen, t[RUNS / 2], t[RUNS - 1], maxrss_kib() - rss0);
        free(bomb);
    }
    return 0;
}
