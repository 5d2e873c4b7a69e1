/*
 * Crash safety of the store: a write that returned is on disk (store.h,
 * guarantee 1), and a process killed at any moment leaves a database that
 * opens and passes SQLite's integrity check.
 *
 * A child opens the store and writes e<i>/f = "v<i>" in a loop, telling the
 * parent each i once xa_store_set has returned; the parent kills it with
 * SIGKILL after 10-200 ms, reopens the database, and checks that every i it
 * was told about is there with its value.  Twenty rounds on one file.  The
 * seed of the delays is printed; XA_SEED=<n> replays them.
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define SCOPE "hoang-kim"
#define ROUNDS 20
#define ROUND_BASE 1000000 /* round r writes i = r * ROUND_BASE, +1, ... */

typedef struct fx {
    char *dir;
    char *path;
    xa_node node;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    xa_store *st = NULL;

    assert_non_null(f);
    f->dir = xt_tempdir();
    f->path = xt_path(f->dir, "clerk.db");
    int rc = xa_store_create(&st, f->path, SCOPE);
    if (rc != 0)
        fail_msg("xa_store_create: %d %s", rc, xa_error_last());
    f->node = xa_store_node(st);
    xa_store_close(st);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    free(f->path);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child: never returns. Exit codes other than death by SIGKILL tell the
 * parent what went wrong. */
static void child(const char *path, int fd, uint64_t first)
{
    xa_store *st = NULL;

    if (xa_store_open(&st, path) != 0)
        _exit(3);
    for (uint64_t i = first;; i++) {
        char ent[32], val[32];
        snprintf(ent, sizeof ent, "e%" PRIu64, i);
        snprintf(val, sizeof val, "\"v%" PRIu64 "\"", i);
        if (xa_store_set(st, SCOPE, ent, "f", val, "clerk", 0, NULL) != 0)
            _exit(4);
        /* 8 bytes: one atomic pipe write */
        ssize_t w;
        do {
            w = write(fd, &i, sizeof i);
        } while (w < 0 && errno == EINTR);
        if (w != (ssize_t)sizeof i)
            _exit(5);
    }
}

/* Read what is in the pipe (blocking until `deadline`, or until EOF when
 * deadline is 0); append whole records to rep[*n]. */
static void read_reports(int fd,
                         int64_t deadline,
                         uint64_t *rep,
                         size_t *n,
                         size_t cap,
                         unsigned char *part,
                         size_t *npart)
{
    for (;;) {
        int timeout = -1;
        if (deadline != 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return;
            timeout = (int)left;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, timeout);
        if (pr < 0 && errno == EINTR)
            continue;
        assert_true(pr >= 0);
        if (pr == 0)
            continue; /* the deadline check above ends the loop */
        unsigned char buf[4096];
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        assert_true(got >= 0);
        if (got == 0)
            return; /* EOF: the child is gone */
        for (ssize_t k = 0; k < got; k++) {
            part[(*npart)++] = buf[k];
            if (*npart == sizeof(uint64_t)) {
                assert_true(*n < cap);
                memcpy(&rep[(*n)++], part, sizeof(uint64_t));
                *npart = 0;
            }
        }
    }
}

static void integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(q, 0);
        if (t == NULL || strcmp(t, "ok") != 0)
            fail_msg("integrity_check: %s", t ? t : "(null)");
        rows++;
    }
    assert_int_equal(rows, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_crash__killed_writer_loses_nothing_reported(void **state)
{
    fx *f = *state;
    uint64_t seed;
    const char *env = getenv("XA_SEED");
    size_t reported[ROUNDS] = {0}, total = 0;
    size_t cap = 1 << 20;
    uint64_t *rep = malloc(cap * sizeof *rep);

    assert_non_null(rep);
    if (env != NULL && *env != '\0')
        seed = strtoull(env, NULL, 10);
    else
        seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    printf("test_crash__killed_writer_loses_nothing_reported: seed=%llu "
           "(replay with XA_SEED=%llu)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    fflush(stdout);
    srand((unsigned)seed);

    for (int round = 0; round < ROUNDS; round++) {
        int pfd[2];
        uint64_t base = (uint64_t)round * ROUND_BASE;
        assert_int_equal(pipe(pfd), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child(f->path, pfd[1], base);
        }
        close(pfd[1]);

        int delay = 10 + rand() % 191;
        size_t n = 0, npart = 0;
        unsigned char part[sizeof(uint64_t)];
        read_reports(pfd[0], now_ms() + delay, rep, &n, cap, part, &npart);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        pid_t wr;
        do {
            wr = waitpid(pid, &status, 0);
        } while (wr < 0 && errno == EINTR);
        assert_int_equal(wr, pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %d: the writer did not die by SIGKILL (status 0x%x; exit 3: open "
                     "failed, 4: set failed, 5: pipe)",
                     round, status);
        /* what it wrote before dying */
        read_reports(pfd[0], 0, rep, &n, cap, part, &npart);
        close(pfd[0]);
        assert_int_equal(npart, 0);
        for (size_t k = 0; k < n; k++)
            assert_true(rep[k] == base + k);
        reported[round] = n;
        total += n;

        /* the database opens, is sound, and holds every reported write */
        xa_store *st = NULL;
        int rc = xa_store_open(&st, f->path);
        if (rc != 0)
            fail_msg("round %d: reopen after kill: %d %s", round, rc, xa_error_last());
        assert_true(xa_store_node(st) == f->node);
        integrity_ok(f->path);

        xa_field *fs = NULL;
        size_t nfs = 0, found = 0;
        rc = xa_store_fields(st, SCOPE, NULL, 0, &fs, &nfs);
        if (rc != 0)
            fail_msg("round %d: fields: %d %s", round, rc, xa_error_last());
        for (size_t k = 0; k < nfs; k++) {
            uint64_t i = 0;
            char tail = 0;
            char want[32];
            if (sscanf(fs[k].entity, "e%" SCNu64 "%c", &i, &tail) != 1)
                fail_msg("unexpected entity %s", fs[k].entity);
            assert_string_equal(fs[k].field, "f");
            snprintf(want, sizeof want, "\"v%" PRIu64 "\"", i);
            /* one writer: never a conflict */
            assert_int_equal(fs[k].n, 1);
            assert_string_equal(fs[k].v[0].value, want);
            assert_true(fs[k].v[0].dot.node == f->node);
            size_t r = (size_t)(i / ROUND_BASE);
            assert_true(r <= (size_t)round);
            if (i % ROUND_BASE < reported[r])
                found++;
        }
        if (found != total)
            fail_msg("round %d: %zu of %zu reported writes are in the database", round, found,
                     total);

        /* the journal is contiguous and agrees with the fields */
        xa_vv have = XA_VV_INIT, empty = XA_VV_INIT;
        xa_op_list l = XA_OP_LIST_INIT;
        assert_int_equal(xa_store_have(st, SCOPE, &have), 0);
        assert_int_equal(xa_store_missing(st, SCOPE, &empty, 0, &l, NULL), 0);
        assert_int_equal(l.n, xa_vv_get(&have, f->node));
        assert_true(l.n >= nfs);
        assert_true(l.n >= total);
        for (size_t k = 0; k < l.n; k++)
            assert_int_equal(l.ops[k].seq, k + 1);
        xa_op_list_free(&l);
        xa_vv_free(&have);
        xa_fields_free(fs, nfs);
        xa_store_close(st);
    }
    printf("  %zu writes reported over %d rounds\n", total, ROUNDS);
    fflush(stdout);
    /* a run where the writer never got a write through tested nothing */
    assert_true(total > 0);
    free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crash__killed_writer_loses_nothing_reported, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
