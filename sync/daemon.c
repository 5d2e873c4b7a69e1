/*
 * The sync daemon loop (daemon.h).
 *
 * One thread, one store handle.  The loop wakes every poll_ms (or sooner on
 * a signal), reads PRAGMA data_version to notice other connections' commits,
 * and decides whether an attempt is due:
 *   failing link:  now >= next_try (writes do not advance it);
 *   healthy link:  changes waiting and quiet for settle_ms, or now >= next_pull.
 *
 * Invariants:
 *   1. never two attempts at once, never two daemons on one database;
 *   2. the wait after n failures is in [0, min(cap, base * 2^(n-1))], or
 *      the server's Retry-After if that is longer;
 *   3. every attempt is logged on stderr, one line (info when edits moved,
 *      debug for an empty pull, warning or error when it failed), and
 *      recorded in the store by xa_sync_run.
 */
#include "xasync/daemon.h"

#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/syncstate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_MS 30000

void xa_daemon_opts_default(xa_daemon_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->pull_interval_ms = 5 * 60 * 1000;
    o->backoff_base_ms = 2000;
    o->backoff_cap_ms = 10 * 60 * 1000;
    o->poll_ms = 500;
    o->settle_ms = 300;
    xa_sync_opts_default(&o->sync);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* systemd reads "<N>" at the start of a line as its priority. */
static int under_journal;

static void logline(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logline(int prio, const char *fmt, ...)
{
    static const char *const names[8] = {"emerg",   "alert",  "crit", "error",
                                         "warning", "notice", "info", "debug"};
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (under_journal) {
        fprintf(stderr, "<%d>%s\n", prio, msg);
    } else {
        char t[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(stderr, "%s xasync daemon %s: %s\n", t, names[prio & 7], msg);
    }
}

/* A uniform draw in [0, bound]: full jitter. */
static int64_t jitter(uint64_t *rng, int64_t bound)
{
    uint64_t x = *rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return bound > 0 ? (int64_t)(x % ((uint64_t)bound + 1)) : 0;
}

static int64_t backoff(const xa_daemon_opts *o, uint32_t failures, uint64_t *rng)
{
    int64_t ceiling = o->backoff_base_ms;

    for (uint32_t i = 1; i < failures && ceiling < o->backoff_cap_ms; i++)
        ceiling *= 2;
    if (ceiling > o->backoff_cap_ms)
        ceiling = o->backoff_cap_ms;
    return jitter(rng, ceiling);
}

/* One daemon per database: an exclusive lock on DB.daemon.lock, held for
 * the life of the process (the kernel drops it if the process dies). */
static int take_lock(const char *db, int *fd_out)
{
    char path[4200], pid[32];
    int fd;
    ssize_t n;

    if ((size_t)snprintf(path, sizeof(path), "%s.daemon.lock", db) >= sizeof(path))
        return xa_error_set(XA_EINVAL, "the database path is too long");
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return xa_error_set(XA_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        n = read(fd, pid, sizeof(pid) - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return xa_error_set(XA_EBUSY, "another xasync daemon is already running for %s%s%s%s", db,
                            pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    }
    n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n) {
        /* The pid is only a courtesy for the message above. */
    }
    *fd_out = fd;
    return 0;
}

static void save_plan(xa_store *st, xa_daemon_state *d)
{
    d->heartbeat = now_ms();
    if (xa_syncstate_daemon_put(st, d) < 0)
        logline(4, "cannot save the daemon's state: %s", xa_error_last());
}

/* During a long sync (a slow link, a big backlog): still alive. */
typedef struct beat {
    xa_store *st;
    xa_daemon_state *d;
} beat;

static void on_round(void *ud)
{
    beat *b = ud;

    save_plan(b->st, b->d);
}

int xa_daemon_run(const char *db, const xa_daemon_opts *o, volatile int *stop)
{
    xa_store *st = NULL;
    xa_daemon_state d;
    xa_sync_opts so = o->sync;
    int64_t dv = 0, ndv, last_change = 0, next_pull, last_beat;
    uint64_t pending = 0, rng = 0;
    int lockfd = -1, rc, changed = 1;

    under_journal = getenv("JOURNAL_STREAM") != NULL;
    rc = take_lock(db, &lockfd);
    if (rc < 0)
        return rc;
    rc = xa_store_open(&st, db);
    if (rc < 0) {
        close(lockfd);
        return rc;
    }
    if (getrandom(&rng, sizeof(rng), 0) != (ssize_t)sizeof(rng) || rng == 0)
        rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    beat hb = {NULL, NULL};
    so.stop = stop;
    so.on_round = on_round;
    so.ud = &hb;
    memset(&d, 0, sizeof(d));
    d.pid = (int)getpid();
    d.started = now_ms();
    hb.st = st;
    hb.d = &d;
    save_plan(st, &d);
    last_beat = now_ms();
    next_pull = now_ms(); /* a first attempt at once: there may be work */
    xa_store_data_version(st, &dv);
    logline(6, "started for %s (scope %s); pulling every %.1f s", db, xa_store_scope(st),
            (double)o->pull_interval_ms / 1000.0);

    while (!*stop) {
        int64_t now = now_ms(), wait;
        int due;

        if (xa_store_data_version(st, &ndv) == 0 && ndv != dv) {
            dv = ndv;
            changed = 1;
            last_change = now;
        }
        if (changed) {
            changed = 0;
            if (xa_syncstate_pending(st, xa_store_scope(st), &pending) < 0)
                logline(4, "cannot count the changes waiting: %s", xa_error_last());
        }
        if (d.failures)
            due = now >= d.next_try;
        else
            due = (pending > 0 && now - last_change >= o->settle_ms) || now >= next_pull;

        if (due) {
            xa_sync_report rep;
            int64_t t0 = now_ms();
            rc = xa_sync_run(st, &so, &rep);
            if (*stop && rc < 0)
                break;
            now = now_ms();
            if (rc == 0) {
                if (d.failures)
                    logline(5, "the link is back after %u failed attempts", d.failures);
                d.failures = 0;
                d.next_try = 0;
                next_pull = now + o->pull_interval_ms;
                logline(rep.ops_sent || rep.ops_received ? 6 : 7,
                        "sync ok: sent %llu ops, received %llu; %llu bytes up, %llu down,"
                        " %llu requests, %lld ms",
                        (unsigned long long)rep.ops_sent, (unsigned long long)rep.ops_received,
                        (unsigned long long)rep.bytes_sent, (unsigned long long)rep.bytes_received,
                        (unsigned long long)rep.requests, (long long)(now - t0));
            } else {
                int64_t delay = backoff(o, ++d.failures, &rng);
                if (rep.retry_after_s > 0 && (int64_t)rep.retry_after_s * 1000 > delay)
                    delay = (int64_t)rep.retry_after_s * 1000;
                d.next_try = now + delay;
                logline(rc == XA_ETRANSIENT ? 4 : 3,
                        "sync failed (%s); %llu changes waiting; attempt %u, next in %.1f s",
                        xa_error_last(), (unsigned long long)pending, d.failures,
                        (double)delay / 1000.0);
            }
            save_plan(st, &d);
            last_beat = now;
            xa_store_data_version(st, &dv);
            changed = 1;
            continue;
        }
        if (now - last_beat >= HEARTBEAT_MS) {
            save_plan(st, &d);
            last_beat = now;
        }
        /* Sleep until the next poll, or the next due time if sooner. */
        wait = o->poll_ms;
        if (d.failures && d.next_try - now < wait)
            wait = d.next_try - now;
        if (!d.failures && next_pull - now < wait)
            wait = next_pull - now;
        if (wait < 10)
            wait = 10;
        poll(NULL, 0, (int)wait); /* a signal ends it early (EINTR) */
    }
    d.next_try = 0;
    d.pid = 0;
    save_plan(st, &d);
    logline(6, "stopped");
    xa_store_close(st);
    close(lockfd);
    return 0;
}
