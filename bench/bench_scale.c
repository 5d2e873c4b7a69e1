/*
 * bench_scale: what the clerk's commands cost as the journal grows.  Prints
 * figures; never passes or fails on time (it exits non-zero only when
 * something it runs fails).
 *
 * For journals of 1k, 10k, 100k and 1M ops (--max N stops earlier), built
 * in this process through xa_store_set() in transactions of 10,000 ops
 * (filler over n/4 entities x 4 fields, plus 10 edits of ind-4/est), it
 * runs the real programs and prints one line per size:
 *
 *   ops  log-field-ms  set-ms  export-all-s  export-MB  export-RSS-MB  per-op-us
 *
 *   log-field-ms   median wall time of `xasync log ind-4 est` (11 runs);
 *                  flat when the history of one field is read by its index
 *   set-ms         median wall time of a whole `xasync set` process (21 runs)
 *   export-all-s   wall time of `xasync export-ops --all` (to a file)
 *   export-MB      the size of that file
 *   export-RSS-MB  the peak resident memory of that process (getrusage)
 *   per-op-us      export-all time per op
 *
 * and, once, the median of a minimal process that opens an SQLite file with
 * the store's settings (WAL, synchronous=FULL) and inserts one row: what
 * `xasync set` is compared with (set / minimal, the goal is 1.5 or less).
 *
 * Options: --max N (1000000), --dir DIR (default: a temporary folder,
 * removed at the end).
 */
#include "xasync/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XA_BIN
#error "XA_BIN must name the xasync binary"
#endif

extern char **environ;

#define SCOPE "hoang-kim"
#define AUTHOR "Nguyễn Thị Lan"

static const char *const FIELDS[4] = {"text", "est", "plan", "note"};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Run argv (argv[0] is the program path) with stdout to `out` (or
 * /dev/null); wall ms and peak RSS in KiB.  Returns the exit status. */
static int run(char *const argv[], const char *out, double *ms, long *rss_kb)
{
    struct rusage ru;
    double t0 = now_ms();
    int st = 0;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);

        if (fd < 0 || nul < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(nul, 2);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    if (wait4(pid, &st, 0, &ru) < 0)
        return -1;
    *ms = now_ms() - t0;
    if (rss_kb)
        *rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static double median_of(char *const argv[], int runs)
{
    double *t = calloc((size_t)runs, sizeof(*t)), m;

    if (t == NULL)
        return -1;
    for (int i = 0; i < runs; i++) {
        if (run(argv, NULL, &t[i], NULL) != 0) {
            fprintf(stderr, "bench_scale: %s %s failed\n", argv[0], argv[1]);
            free(t);
            return -1;
        }
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp_double);
    m = t[runs / 2];
    free(t);
    return m;
}

/* The minimal one-insert process (this program, re-executed). */
static int insert1(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);

    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          " CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT);"
                          " INSERT INTO t(v) VALUES ('\"636,4\"');",
                          NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : 1;
}

/* Grow the journal at `db` from `have` to `want` ops. */
static int grow(const char *db, unsigned long have, unsigned long want)
{
    xa_store *st = NULL;
    int rc = xa_store_open(&st, db);

    for (unsigned long i = have; rc == 0 && i < want;) {
        rc = xa_store_begin(st);
        for (unsigned long k = 0; rc == 0 && k < 10000 && i < want; k++, i++) {
            char ent[32], val[96];

            snprintf(ent, sizeof(ent), "blk-%07lu", i / 4);
            snprintf(val, sizeof(val), "\"dòng %lu: kết quả thực hiện\"", i);
            rc = xa_store_set(st, SCOPE, ent, FIELDS[i % 4], val, AUTHOR, 0, NULL);
        }
        rc = rc == 0 ? xa_store_commit(st) : (xa_store_rollback(st), rc);
    }
    xa_store_close(st);
    return rc;
}

int main(int argc, char **argv)
{
    static const unsigned long sizes[] = {1000, 10000, 100000, 1000000};
    unsigned long max = 1000000, have = 0;
    const char *dir = NULL;
    char tmpl[] = "/tmp/bench-scale-XXXXXX", db[4096], ops[4096], mdb[4096];
    char self[4096];
    ssize_t sn;
    double minimal;

    if (argc == 3 && strcmp(argv[1], "--insert1") == 0)
        return insert1(argv[2]);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc)
            max = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_scale [--max N] [--dir DIR]\n");
            return 2;
        }
    }
    if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
        perror("bench_scale: mkdtemp");
        return 1;
    }
    snprintf(db, sizeof(db), "%s/scale.db", dir);
    snprintf(ops, sizeof(ops), "%s/ops.json", dir);
    snprintf(mdb, sizeof(mdb), "%s/minimal.db", dir);
    sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sn <= 0) {
        perror("bench_scale: /proc/self/exe");
        return 1;
    }
    self[sn] = '\0';

    {
        char *init[] = {(char *)XA_BIN, "--db", db, "init", "--scope", SCOPE, NULL};
        double ms;

        if (run(init, NULL, &ms, NULL) != 0) {
            fprintf(stderr, "bench_scale: xasync init failed\n");
            return 1;
        }
    }
    {
        char *m[] = {self, "--insert1", mdb, NULL};
        minimal = median_of(m, 21);
    }
    printf("machine: nproc %ld, SQLite %s\n", sysconf(_SC_NPROCESSORS_ONLN), sqlite3_libversion());
    printf("minimal one-insert process (WAL, synchronous=FULL), median: %.2f ms\n", minimal);
    printf("%9s %13s %8s %10s %13s %10s %14s %10s\n", "ops", "log-field-ms", "set-ms", "set/min",
           "export-all-s", "export-MB", "export-RSS-MB", "per-op-us");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && sizes[k] <= max; k++) {
        unsigned long n = sizes[k];
        char *logv[] = {(char *)XA_BIN, "--db", db, "log", "ind-4", "est", NULL};
        char *setv[] = {(char *)XA_BIN, "--db",  db,         "set",  "ind-4",
                        "est",          "636,4", "--author", AUTHOR, NULL};
        char *expv[] = {(char *)XA_BIN, "--db", db, "export-ops", "--all", NULL};
        double log_ms, set_ms, exp_ms;
        long rss = 0;
        struct stat sb;

        if (grow(db, have, n) != 0) {
            fprintf(stderr, "bench_scale: growing the journal to %lu failed\n", n);
            return 1;
        }
        have = n;
        set_ms = median_of(setv, 21); /* also gives ind-4/est a history */
        log_ms = median_of(logv, 11);
        if (set_ms < 0 || log_ms < 0 || run(expv, ops, &exp_ms, &rss) != 0) {
            fprintf(stderr, "bench_scale: a command failed at %lu ops\n", n);
            return 1;
        }
        have += 21;
        if (stat(ops, &sb) != 0)
            sb.st_size = 0;
        printf("%9lu %13.2f %8.2f %10.2f %13.2f %10.1f %14.1f %10.2f\n", n, log_ms, set_ms,
               set_ms / minimal, exp_ms / 1e3, (double)sb.st_size / 1e6, (double)rss / 1024.0,
               exp_ms * 1e3 / (double)have);
        fflush(stdout);
    }
    if (dir == tmpl) {
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_scale: could not remove %s\n", dir);
    }
    return 0;
}
