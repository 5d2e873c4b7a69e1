/*
 * bench_rollup: the district's rollup by meaning, and `report check` on the
 * seed.  Prints figures; never passes or fails on time (it exits non-zero
 * only when something it runs fails).
 *
 *   setup: N communes, each with one report of a 30-indicator form, figures
 *   filled in and sent (written in process into a district database, as
 *   syncs would leave it)
 *   rollup process (first run): X ms    `xasync-district rollup --form F
 *                                        --period 2024-h1 --format json`, a
 *                                        fresh process on a database not
 *                                        opened since it was written
 *   rollup process median: X ms         the same, again
 *   rollup in process median: X ms      xa_rollup2 + printing, store opened each time
 *   check in process median: X ms       xa_report_load + xa_report_check on the seed
 *   xasync report check median: X ms    the whole command on the seed
 *
 * Options: --communes N (200), --runs N (10).  Goals (issue 9): the rollup
 * of 200 communes × 30 rows under 1 s; check on the seed under 50 ms.
 */
#include "bench_fixture.h"
#include "xasync/district.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XA_BIN
#error "XA_BIN must name the xasync binary"
#endif

static int run(const char *prog, const char *const *args)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        execv(prog, (char *const *)args);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static _Noreturn void die(const char *what)
{
    xb_die("bench_rollup", what);
}

int main(int argc, char **argv)
{
    int ncommunes = 200, runs = 10;
    char dir[] = "/tmp/bench-rollup-XXXXXX", path[128], sdb[128];
    xa_store *st = NULL;
    xa_form f;
    double *t;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--communes") == 0)
            ncommunes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (ncommunes < 1 || runs < 1 || mkdtemp(dir) == NULL)
        return 2;
    t = calloc((size_t)runs, sizeof(*t));
    snprintf(path, sizeof(path), "%s/district.db", dir);
    if (xa_store_create(&st, path, NULL) < 0)
        die("create");

    double t0 = xb_district(st, ncommunes, &f);
    xa_store_close(st);
    printf("setup: %d communes x %zu indicators, written and sent in %.0f ms\n", ncommunes, f.n,
           xb_now_ms() - t0);
    xa_form_free(&f);

    const char *const rargs[] = {XA_DISTRICT_BIN, "--db",  path,       "rollup",
                                 "--form",        "bench", "--period", "2024-h1",
                                 "--format",      "json",  NULL};
    double a = xb_now_ms();
    if (run(XA_DISTRICT_BIN, rargs) != 0)
        die("rollup process");
    printf("rollup process (first run): %.1f ms\n", xb_now_ms() - a);
    for (int i = 0; i < runs; i++) {
        a = xb_now_ms();
        if (run(XA_DISTRICT_BIN, rargs) != 0)
            die("rollup process");
        t[i] = xb_now_ms() - a;
    }
    printf("rollup process median: %.1f ms\n", xb_median(t, runs));
    for (int i = 0; i < runs; i++) {
        xa_rollup2_opts ro = {"bench", "2024-h1", 0};
        char *json = NULL, *out = NULL;
        a = xb_now_ms();
        if (xa_store_open(&st, path) < 0 || xa_rollup2(st, &ro, &json) < 0 ||
            xa_rollup2_print(json, XA_ROLLUP_TEXT, 0, &out) < 0)
            die("rollup");
        xa_store_close(st);
        t[i] = xb_now_ms() - a;
        free(json);
        free(out);
    }
    printf("rollup in process median: %.1f ms\n", xb_median(t, runs));

    /* report check on the seed */
    snprintf(sdb, sizeof(sdb), "%s/seed.db", dir);
    {
        FILE *fp = fopen(XA_SEED_REPORT, "rb");
        static char text[1 << 20];
        size_t len = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
        xa_import_result res;
        if (fp)
            fclose(fp);
        if (xa_store_create(&st, sdb, "hoang-kim") < 0 ||
            xa_report_import(st, "hoang-kim", "report-2024-h1", NULL, NULL, text, len, "bench",
                             &res) < 0)
            die("seed");
        xa_import_result_free(&res);
        for (int i = 0; i < runs; i++) {
            xa_report r;
            xa_finding *fi = NULL;
            size_t n = 0;
            a = xb_now_ms();
            if (xa_report_load(st, "hoang-kim", "report-2024-h1", &r) < 0 ||
                xa_report_check(&r, &fi, &n) < 0)
                die("check");
            t[i] = xb_now_ms() - a;
            xa_findings_free(fi, n);
            xa_report_free(&r);
        }
        xa_store_close(st);
        printf("check in process median: %.1f ms\n", xb_median(t, runs));
        const char *const cargs[] = {XA_BIN, "--db", sdb, "report", "check", NULL};
        for (int i = 0; i < runs; i++) {
            a = xb_now_ms();
            if (run(XA_BIN, cargs) < 0)
                die("check process");
            t[i] = xb_now_ms() - a;
        }
        printf("xasync report check median: %.1f ms\n", xb_median(t, runs));
    }
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    free(t);
    return 0;
}
