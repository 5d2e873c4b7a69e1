/*
 * bench_report: what importing and checking a commune report costs.  Prints
 * figures; never passes or fails on time (it exits non-zero only when
 * something it runs fails).
 *
 * Output, one figure a line, each `name: value unit`:
 *   machine: nproc N
 *   import of the seed (in process) median / max: X / Y ms
 *   check of the seed (load + check, in process) median / max: X / Y ms
 *   check of the seed (parse only, report already loaded) median: X ms
 *   xasync report import (whole process) median: X ms
 *   xasync report check (whole process) median: X ms
 *   corpus: N reports, import median X ms, check median Y ms
 *
 * Import: xa_report_import() of the seed text into a fresh database made by
 * xa_store_create() (one transaction, WAL, synchronous=FULL), --runs times,
 * each on its own file.  Check: xa_report_load() + xa_report_check() of the
 * imported report.  The process figures run the real XA_BIN (fork, execve,
 * waitpid), wall time on CLOCK_MONOTONIC.
 *
 * Options: --runs N (30), --seed FILE (XA_SEED_REPORT), --corpus DIR
 * (XA_CORPUS_DIR).
 */
#include "xasync/error.h"
#include "xasync/report.h"
#include "xasync/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XA_BIN
#error "XA_BIN must name the xasync binary"
#endif

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmpd);
    return n ? v[n / 2] : 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        return NULL;
    s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[n] = '\0';
        *len = (size_t)n;
    }
    return s;
}

static void rm_db(const char *path)
{
    char p[4200];

    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* Import `text` into a fresh database at `db`; the import's and the
 * check's times. */
static int one(const char *db, const char *text, size_t len, double *imp, double *chk)
{
    xa_store *st = NULL;
    xa_import_result res;
    xa_report r;
    xa_finding *f = NULL;
    size_t nf = 0;
    double t0, t1;
    int rc;

    rm_db(db);
    if (xa_store_create(&st, db, "bench") < 0)
        return -1;
    t0 = now_ms();
    rc = xa_report_import(st, "bench", "report-2024-h1", NULL, NULL, text, len, "bench", &res);
    t1 = now_ms();
    if (rc < 0) {
        fprintf(stderr, "bench_report: import: %s\n", xa_error_last());
        xa_store_close(st);
        return -1;
    }
    xa_import_result_free(&res);
    *imp = t1 - t0;
    t0 = now_ms();
    rc = xa_report_load(st, "bench", "report-2024-h1", &r);
    if (rc == 0)
        rc = xa_report_check(&r, &f, &nf);
    t1 = now_ms();
    if (rc == 0) {
        xa_findings_free(f, nf);
        xa_report_free(&r);
    }
    xa_store_close(st);
    *chk = t1 - t0;
    return rc;
}

/* The whole `xasync ARGS` process, in ms; -1 if it failed to run. */
static double proc_ms(const char *const *argv, int want_status)
{
    double t0 = now_ms();
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        int fd = open("/dev/null", 1);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(XA_BIN, (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != want_status)
        return -1;
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    const char *seed = XA_SEED_REPORT, *corpus = XA_CORPUS_DIR;
    int runs = 30;
    char dir[] = "/tmp/bench-report-XXXXXX", db[4200];
    size_t len = 0;
    char *text;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = argv[i + 1];
        else if (strcmp(argv[i], "--corpus") == 0)
            corpus = argv[i + 1];
    }
    if (runs < 1 || mkdtemp(dir) == NULL || (text = slurp(seed, &len)) == NULL) {
        fprintf(stderr, "bench_report: cannot start (runs, temporary folder, %s)\n", seed);
        return 1;
    }
    snprintf(db, sizeof(db), "%s/r.db", dir);
    printf("machine: nproc %ld\n", sysconf(_SC_NPROCESSORS_ONLN));

    double *imp = calloc((size_t)runs, sizeof(double)), *chk = calloc((size_t)runs, sizeof(double));
    if (!imp || !chk)
        return 1;
    for (int i = 0; i < runs; i++)
        if (one(db, text, len, &imp[i], &chk[i]) < 0)
            return 1;
    qsort(imp, (size_t)runs, sizeof(double), cmpd);
    qsort(chk, (size_t)runs, sizeof(double), cmpd);
    printf("import of the seed (in process) median / max: %.2f / %.2f ms\n", imp[runs / 2],
           imp[runs - 1]);
    printf("check of the seed (load + check, in process) median / max: %.2f / %.2f ms\n",
           chk[runs / 2], chk[runs - 1]);

    /* the check alone, the report in memory */
    {
        xa_store *st = NULL;
        xa_report r;
        if (xa_store_open(&st, db) < 0 || xa_report_load(st, "bench", "report-2024-h1", &r) < 0)
            return 1;
        for (int i = 0; i < runs; i++) {
            xa_finding *f = NULL;
            size_t nf = 0;
            double t0 = now_ms();
            if (xa_report_check(&r, &f, &nf) < 0)
                return 1;
            chk[i] = now_ms() - t0;
            xa_findings_free(f, nf);
        }
        xa_report_free(&r);
        xa_store_close(st);
        printf("check of the seed (checks only, report in memory) median: %.3f ms\n",
               median(chk, runs));
    }

    /* the real program */
    {
        int n = runs < 10 ? runs : 10;
        for (int i = 0; i < n; i++) {
            char pdb[4200];
            snprintf(pdb, sizeof(pdb), "%s/p%d.db", dir, i);
            const char *init[] = {XA_BIN, "--db", pdb, "init", "--scope", "bench", NULL};
            const char *im[] = {XA_BIN, "--db", pdb, "report", "import", seed, NULL};
            const char *ck[] = {XA_BIN, "--db", pdb, "report", "check", NULL};
            if (proc_ms(init, 0) < 0 || (imp[i] = proc_ms(im, 0)) < 0 ||
                (chk[i] = proc_ms(ck, 1)) < 0) {
                fprintf(stderr, "bench_report: %s failed\n", XA_BIN);
                return 1;
            }
            rm_db(pdb);
        }
        printf("xasync report import (whole process) median: %.1f ms\n", median(imp, n));
        printf("xasync report check (whole process) median: %.1f ms\n", median(chk, n));
    }

    /* every report of the corpus, once */
    {
        DIR *d = opendir(corpus);
        struct dirent *e;
        double ci[64], cc[64];
        int n = 0;
        while (d && (e = readdir(d)) != NULL && n < 64) {
            size_t l = strlen(e->d_name), tl = 0;
            char path[4200];
            char *t;
            if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0 ||
                strncmp(e->d_name, "bad-", 4) == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", corpus, e->d_name);
            if ((t = slurp(path, &tl)) == NULL)
                continue;
            if (one(db, t, tl, &ci[n], &cc[n]) == 0)
                n++;
            free(t);
        }
        if (d)
            closedir(d);
        printf("corpus: %d reports, import median %.2f ms, check median %.2f ms\n", n,
               median(ci, n), median(cc, n));
    }
    rm_db(db);
    rmdir(dir);
    free(imp);
    free(chk);
    free(text);
    return 0;
}
