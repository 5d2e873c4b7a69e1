/*
 * bench_docx: what a .docx of the seed report costs.  Prints figures; never
 * passes or fails on time (it exits non-zero only when something it runs
 * fails).
 *
 * Output, one figure a line, each `name: value unit`:
 *   docx bytes: N
 *   docx export in process median: X ms      (xa_report_docx on a loaded report)
 *   docx export in process p99: X ms
 *   load + docx median: X ms                  (xa_report_load and xa_report_docx)
 *   xasync report export --format docx median: X ms   (the whole command: its
 *                                              process, the database, the file)
 *   docx read in process median: X ms         (xa_docx_read: the seed's .docx to
 *                                              its text form)
 *   docx read + import in process median: X ms (the store opened, the .docx
 *                                              read and imported, the store closed)
 *   xasync report import FILE.docx median: X ms   (the whole command; goal:
 *                                              under 200 ms)
 * Each import goes into a fresh database of its own, as a clerk's first.
 *
 * The seed (XA_SEED_REPORT) is imported into a fresh database with the real
 * `xasync` (XA_BIN).  Options: --runs N (100).
 */
#include "xasync/docx_read.h"
#include "xasync/error.h"
#include "xasync/report.h"
#include "xasync/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XA_BIN
#error "XA_BIN must name the xasync binary"
#endif
#ifndef XA_SEED_REPORT
#error "XA_SEED_REPORT must name the seed report"
#endif

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    int i = (int)(p * (n - 1) + 0.5);

    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[i];
}

/* Run XA_BIN with args (NULL-terminated) and XASYNC_DB=db; exit status. */
static int run(const char *db, const char *const *args)
{
    pid_t pid;
    int st;

    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const char *argv[16];
        int n = 0;
        argv[n++] = XA_BIN;
        for (; *args && n < 15; args++)
            argv[n++] = *args;
        argv[n] = NULL;
        setenv("XASYNC_DB", db, 1);
        setenv("XASYNC_AUTHOR", "bench", 1);
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execv(XA_BIN, (char *const *)argv);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/xa-bench-docx-XXXXXX";
    char db[128], out[128];
    int runs = 100;
    xa_store *st = NULL;
    xa_report r;
    double *t;
    unsigned char *data = NULL;
    size_t len = 0;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
    if (runs < 1)
        runs = 1;
    t = calloc((size_t)runs, sizeof(*t));
    if (t == NULL || mkdtemp(dir) == NULL) {
        perror("bench_docx");
        return 1;
    }
    snprintf(db, sizeof(db), "%s/a.db", dir);
    snprintf(out, sizeof(out), "%s/bao-cao.docx", dir);
    if (run(db, (const char *const[]){"init", "--scope", "hoang-kim", NULL}) != 0 ||
        run(db, (const char *const[]){"report", "import", XA_SEED_REPORT, NULL}) != 0) {
        fprintf(stderr, "bench_docx: could not import the seed\n");
        return 1;
    }
    if (xa_store_open(&st, db) < 0 || xa_report_load(st, "hoang-kim", "report-2024-h1", &r) < 0) {
        fprintf(stderr, "bench_docx: %s\n", xa_error_last());
        return 1;
    }
    /* 1. the writer alone */
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (xa_report_docx(&r, &data, &len) < 0) {
            fprintf(stderr, "bench_docx: %s\n", xa_error_last());
            return 1;
        }
        t[i] = now_ms() - t0;
        free(data);
    }
    printf("docx bytes: %zu\n", len);
    printf("docx export in process median: %.2f ms\n", pct(t, runs, 0.5));
    printf("docx export in process p99: %.2f ms\n", pct(t, runs, 0.99));
    xa_report_free(&r);
    /* 2. load and write */
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (xa_report_load(st, "hoang-kim", "report-2024-h1", &r) < 0 ||
            xa_report_docx(&r, &data, &len) < 0) {
            fprintf(stderr, "bench_docx: %s\n", xa_error_last());
            return 1;
        }
        t[i] = now_ms() - t0;
        free(data);
        xa_report_free(&r);
    }
    printf("load + docx median: %.2f ms\n", pct(t, runs, 0.5));
    xa_store_close(st);
    /* 3. the whole command */
    int cmd_runs = runs < 30 ? runs : 30;
    for (int i = 0; i < cmd_runs; i++) {
        double t0 = now_ms();
        if (run(db, (const char *const[]){"report", "export", "--format", "docx", "-o", out,
                                          NULL}) != 0) {
            fprintf(stderr, "bench_docx: export failed\n");
            return 1;
        }
        t[i] = now_ms() - t0;
    }
    printf("xasync report export --format docx median: %.2f ms\n", pct(t, cmd_runs, 0.5));
    /* 4. the .docx read back: its text form, then the import */
    {
        FILE *fp = fopen(out, "rb");
        unsigned char *bytes = malloc(1u << 24);
        size_t n = fp && bytes ? fread(bytes, 1, 1u << 24, fp) : 0;
        xa_docx_text doc;
        if (fp)
            fclose(fp);
        if (n == 0) {
            fprintf(stderr, "bench_docx: cannot read %s\n", out);
            return 1;
        }
        for (int i = 0; i < runs; i++) {
            double t0 = now_ms();
            if (xa_docx_read(bytes, n, &doc) < 0) {
                fprintf(stderr, "bench_docx: %s\n", xa_error_last());
                return 1;
            }
            t[i] = now_ms() - t0;
            xa_docx_text_free(&doc);
        }
        printf("docx read in process median: %.2f ms\n", pct(t, runs, 0.5));
        /* each import into a fresh database holding no report, as a clerk's */
        int imp_runs = runs < 20 ? runs : 20;
        for (int i = 0; i < imp_runs; i++) {
            char fresh[160];
            xa_import_result res;
            snprintf(fresh, sizeof(fresh), "%s/in-process-%d.db", dir, i);
            if (run(fresh, (const char *const[]){"init", "--scope", "hoang-kim", NULL}) != 0) {
                fprintf(stderr, "bench_docx: init failed\n");
                return 1;
            }
            double t0 = now_ms();
            if (xa_store_open(&st, fresh) < 0 || xa_docx_read(bytes, n, &doc) < 0 ||
                xa_report_import_docx(st, "hoang-kim", "report-2024-h1", NULL, NULL, &doc, "bench",
                                      0, &res) < 0) {
                fprintf(stderr, "bench_docx: %s\n", xa_error_last());
                return 1;
            }
            xa_store_close(st);
            t[i] = now_ms() - t0;
            xa_import_result_free(&res);
            xa_docx_text_free(&doc);
        }
        printf("docx read + import in process median: %.2f ms\n", pct(t, imp_runs, 0.5));
        for (int i = 0; i < imp_runs; i++) {
            char fresh[160];
            snprintf(fresh, sizeof(fresh), "%s/command-%d.db", dir, i);
            if (run(fresh, (const char *const[]){"init", "--scope", "hoang-kim", NULL}) != 0) {
                fprintf(stderr, "bench_docx: init failed\n");
                return 1;
            }
            double t0 = now_ms();
            if (run(fresh, (const char *const[]){"report", "import", out, NULL}) != 0) {
                fprintf(stderr, "bench_docx: import of the .docx failed\n");
                return 1;
            }
            t[i] = now_ms() - t0;
        }
        printf("xasync report import FILE.docx median: %.2f ms\n", pct(t, imp_runs, 0.5));
        free(bytes);
    }
    unlink(out);
    snprintf(out, sizeof(out), "rm -rf '%s'", dir);
    if (system(out) != 0)
        fprintf(stderr, "bench_docx: could not remove %s\n", dir);
    free(t);
    return 0;
}
