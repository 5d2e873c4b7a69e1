/*
 * The sync daemon (docs/design.md, "The sync daemon"): runs beside the clerk and
 * gets every edit out whenever a link exists.
 *
 *   - a local write (seen through PRAGMA data_version, not by re-reading the
 *     journal) is synced within a second or two;
 *   - with nothing written, it pulls every `pull_interval`;
 *   - a failed attempt waits base * 2^(n-1) at most, capped, with full
 *     jitter (a uniform draw below that), or longer if the server said
 *     Retry-After; a success resets it.  A local write does not cut the wait
 *     of a failing link short;
 *   - every attempt is recorded (syncstate.h), and the plan (next try,
 *     failures, heartbeat) is saved for `xasync status`;
 *   - one daemon per database: a lock on DB.daemon.lock;
 *   - the stop flag (set by SIGTERM/SIGINT) ends it between transactions.
 */
#ifndef XASYNC_DAEMON_H
#define XASYNC_DAEMON_H

#include "xasync/sync.h"

#include <stdint.h>

typedef struct xa_daemon_opts {
    int64_t pull_interval_ms; /* default 5 min */
    int64_t backoff_base_ms;  /* default 2 s */
    int64_t backoff_cap_ms;   /* default 10 min */
    int64_t poll_ms;          /* how often data_version is read (default 500 ms) */
    int64_t settle_ms;        /* wait after a write for more to come (default 300 ms) */
    int verbose;              /* log debug lines too */
    xa_sync_opts sync;
} xa_daemon_opts;

void xa_daemon_opts_default(xa_daemon_opts *o);

/* Run until *stop is set.  0 after a clean stop; XA_EBUSY if another daemon
 * holds the database; other codes if the database cannot be used. */
int xa_daemon_run(const char *db_path, const xa_daemon_opts *o, volatile int *stop);

#endif
