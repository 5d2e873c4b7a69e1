/*
 * bench_journal: what a durable edit costs.  Prints figures; never passes or
 * fails on time (it exits non-zero only when something it runs fails).
 *
 * Output, one figure a line, each `name: value unit`:
 *   machine: nproc N, SQLite X.Y.Z
 *   durable edits per second (one process): N
 *   xasync set latency median: X ms
 *   xasync set latency p99: Y ms
 *   database size per 1,000 edits: Z KiB
 *
 * 1. Edits per second: xa_store_set() in a loop in this process on a fresh
 *    database, each edit its own transaction with the store's own settings
 *    (WAL, synchronous=FULL), over 50 entities x 4 fields.
 * 2. Latency: `--runs` runs of the whole `xasync set` process (fork, execve of
 *    XA_BIN with --db on a database made by `xasync init`, waitpid), wall
 *    time from fork to waitpid on CLOCK_MONOTONIC.
 * 3. Size: the database of (1) plus its -wal after a TRUNCATE checkpoint run
 *    through a separate SQLite connection, per 1,000 edits.
 *
 * Options: --edits N (5000), --runs N (300), --dir DIR (default: a temporary
 * folder, removed at the end; files in a given DIR are kept).
 */
#include "xasync/error.h"
#include "xasync/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define NENTITIES 50
#define PATH_BYTES 4096
#define STORE_DB "bench-journal.db"
#define CLI_DB "bench-cli.db"

static const char *const FIELDS[4] = {"text", "est", "plan", "note"};

/* Words for values of about 40 bytes of UTF-8. */
static const char *const WORDS[] = {
    "Ước thực hiện", "Kế hoạch năm", "Tỷ lệ đạt",     "Khen thưởng",
    "Tập thể",       "Cá nhân",      "Lao động tiên", "Chiến sĩ thi đua",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int parse_count(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    if (s == NULL || *s < '0' || *s > '9') {
        fprintf(stderr, "bench_journal: %s wants a number\n", opt);
        return -1;
    }
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "bench_journal: %s wants a number from 1 to %lu, not '%s'\n", opt, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* dir/name into out (PATH_BYTES); -1 if it does not fit. */
static int join(char *out, const char *dir, const char *name)
{
    int w = snprintf(out, PATH_BYTES, "%s/%s", dir, name);
    if (w < 0 || w >= PATH_BYTES) {
        fprintf(stderr, "bench_journal: path too long: %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

/* A JSON string of about 40 bytes (with `quoted`) or its bare text. */
static void make_value(char *out, size_t cap, unsigned long i, int quoted)
{
    const char *q = quoted ? "\"" : "";
    int w = snprintf(out, cap, "%s%s %lu,%lu%% lần %lu%s", q, WORDS[i % NWORDS], (i * 37) % 1000,
                     i % 10, i, q);
    if (w < 0 || (size_t)w >= cap)
        out[0] = '\0';
}

static int file_size(const char *path, long long *out)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) {
            *out = 0;
            return 0;
        }
        fprintf(stderr, "bench_journal: stat %s: %s\n", path, strerror(errno));
        return -1;
    }
    *out = (long long)sb.st_size;
    return 0;
}

/* Figure 1 and 3.  *eps gets edits per second, *kib the KiB per 1,000. */
static int bench_store(const char *dir, unsigned long edits, double *eps, double *kib)
{
    char path[PATH_BYTES], wal[PATH_BYTES];
    if (join(path, dir, STORE_DB) != 0 || join(wal, dir, STORE_DB "-wal") != 0)
        return -1;

    xa_store *st = NULL;
    int rc = xa_store_create(&st, path, SCOPE);
    if (rc != 0) {
        fprintf(stderr, "bench_journal: create %s: %s (%s)\n", path, xa_error_last(),
                xa_error_name(rc));
        return -1;
    }

    char entity[32], value[128];
    double t0 = now_ms();
    for (unsigned long i = 0; i < edits; i++) {
        snprintf(entity, sizeof entity, "ind-%lu", (i / 4) % NENTITIES + 1);
        make_value(value, sizeof value, i, 1);
        rc = xa_store_set(st, SCOPE, entity, FIELDS[i % 4], value, AUTHOR, 0, NULL);
        if (rc != 0) {
            fprintf(stderr, "bench_journal: edit %lu (%s %s): %s (%s)\n", i, entity, FIELDS[i % 4],
                    xa_error_last(), xa_error_name(rc));
            xa_store_close(st);
            return -1;
        }
    }
    double t1 = now_ms();
    *eps = (double)edits / ((t1 - t0) / 1e3);

    /* Size after a checkpoint from another connection, the store still open. */
    sqlite3 *db = NULL;
    int ret = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_journal: sqlite3_open %s: %s\n", path, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(q, 0);
        if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
            fprintf(stderr, "bench_journal: warning: journal_mode is %s, not wal\n",
                    mode ? (const char *)mode : "(null)");
    }
    sqlite3_finalize(q);
    char *err = NULL;
    if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_journal: checkpoint: %s\n", err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        goto done;
    }
    long long sdb = 0, swal = 0;
    if (file_size(path, &sdb) != 0 || file_size(wal, &swal) != 0)
        goto done;
    *kib = ((double)(sdb + swal) / 1024.0) / ((double)edits / 1000.0);
    ret = 0;
done:
    sqlite3_close(db);
    xa_store_close(st);
    return ret;
}

/* Run XA_BIN with argv (argv[0] set here), stdout to /dev/null, stderr kept.
 * Returns the wall time in ms in *ms; -1 if it could not run or failed. */
static int run_xasync(char *const argv[], double *ms)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_journal: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        execve(XA_BIN, argv, environ);
        _exit(127);
    }
    int status = 0;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    double t1 = now_ms();
    if (w < 0) {
        fprintf(stderr, "bench_journal: waitpid: %s\n", strerror(errno));
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_journal: %s %s failed (status %d)\n", XA_BIN, argv[3], status);
        return -1;
    }
    *ms = t1 - t0;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Figure 2. */
static int bench_cli(const char *dir, unsigned long runs, double *median, double *p99)
{
    char path[PATH_BYTES];
    if (join(path, dir, CLI_DB) != 0)
        return -1;

    double ms = 0;
    char *init[] = {(char *)XA_BIN,    (char *)"--db", path, (char *)"init",
                    (char *)"--scope", (char *)SCOPE,  NULL};
    if (run_xasync(init, &ms) != 0)
        return -1;

    double *t = calloc(runs, sizeof *t);
    if (t == NULL) {
        fprintf(stderr, "bench_journal: out of memory\n");
        return -1;
    }
    char entity[32], value[128];
    for (unsigned long i = 0; i < runs; i++) {
        snprintf(entity, sizeof entity, "ind-%lu", (i / 4) % NENTITIES + 1);
        make_value(value, sizeof value, i, 0);
        char *argv[] = {(char *)XA_BIN, (char *)"--db",
                        path,           (char *)"set",
                        entity,         (char *)FIELDS[i % 4],
                        value,          (char *)"--author",
                        (char *)AUTHOR, NULL};
        if (run_xasync(argv, &t[i]) != 0) {
            free(t);
            return -1;
        }
    }
    qsort(t, runs, sizeof *t, cmp_double);
    *median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    /* nearest rank: the smallest time at or above 99% of the runs */
    size_t rank = (size_t)((runs * 99 + 99) / 100);
    *p99 = t[rank - 1];
    free(t);
    return 0;
}

/* Remove the files of a folder made here, then the folder. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        const struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (unlinkat(dirfd(d), e->d_name, 0) != 0)
                fprintf(stderr, "bench_journal: cannot remove %s/%s: %s\n", dir, e->d_name,
                        strerror(errno));
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_journal: cannot remove %s: %s\n", dir, strerror(errno));
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_journal [--edits N] [--runs N] [--dir DIR]\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned long edits = 5000, runs = 300;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--edits") == 0) {
            if (parse_count(a, v, 100000000UL, &edits) != 0)
                return usage();
            i++;
        } else if (strcmp(a, "--runs") == 0) {
            if (parse_count(a, v, 1000000UL, &runs) != 0)
                return usage();
            i++;
        } else if (strcmp(a, "--dir") == 0) {
            if (v == NULL || v[0] == '\0')
                return usage();
            dir = v;
            i++;
        } else {
            fprintf(stderr, "bench_journal: unknown option '%s'\n", a);
            return usage();
        }
    }

    char tmp[PATH_BYTES];
    int made = 0;
    if (dir == NULL) {
        const char *base = getenv("TMPDIR");
        if (base == NULL || base[0] == '\0')
            base = "/tmp";
        if (join(tmp, base, "xa-bench-XXXXXX") != 0)
            return 1;
        if (mkdtemp(tmp) == NULL) {
            fprintf(stderr, "bench_journal: mkdtemp %s: %s\n", tmp, strerror(errno));
            return 1;
        }
        dir = tmp;
        made = 1;
    }

    /* Never reuse or overwrite a database left in a given folder. */
    const char *const ours[] = {STORE_DB, CLI_DB};
    for (size_t k = 0; k < sizeof ours / sizeof ours[0]; k++) {
        char p[PATH_BYTES];
        struct stat sb;
        if (join(p, dir, ours[k]) != 0)
            goto fail;
        if (stat(p, &sb) == 0) {
            fprintf(stderr, "bench_journal: %s exists; remove it or choose another --dir\n", p);
            goto fail;
        }
    }

    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    printf("machine: nproc %ld, SQLite %s\n", nproc, sqlite3_libversion());
    fflush(stdout);

    int ret = 1;
    double eps = 0, kib = 0, median = 0, p99 = 0;
    if (bench_store(dir, edits, &eps, &kib) != 0)
        goto out;
    printf("durable edits per second (one process): %.0f\n", eps);
    fflush(stdout);
    if (bench_cli(dir, runs, &median, &p99) != 0)
        goto out;
    printf("xasync set latency median: %.2f ms\n", median);
    printf("xasync set latency p99: %.2f ms\n", p99);
    printf("database size per 1,000 edits: %.1f KiB\n", kib);
    ret = 0;
out:
    if (made)
        remove_dir(dir);
    return ret;
fail:
    if (made)
        remove_dir(dir);
    return 1;
}
