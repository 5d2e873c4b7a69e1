/*
 * One sync of a PC with its district server, to completion (docs/design.md,
 * "The protocol: one round trip per sync").
 *
 * Each round trip sends the ops the server has not acknowledged (a bounded
 * batch) with this replica's version vector, applies the ops the server
 * sends back, and records the server's vector as the new acknowledgement.
 * It loops while there is more to send or to receive, on one kept-alive
 * connection, and succeeds only when both sides hold the same ops.
 *
 * Every attempt, failed or not, is recorded in the store (syncstate.h).
 */
#ifndef XASYNC_SYNC_H
#define XASYNC_SYNC_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct xa_sync_opts {
    long connect_timeout_s; /* a connect that hangs (default 15) */
    long low_speed_time_s;  /* a transfer below 1 byte/s this long is cut (default 30) */
    long request_timeout_s; /* one whole request (default 120) */
    size_t batch_ops;       /* most ops sent per request (default 500) */
    size_t batch_bytes;  /* most JSON bytes sent per request before compression (default 256 KiB) */
    size_t max_ops_back; /* most ops asked back per request (default 2000) */
    /* Round trips in a row that move nothing (no op acknowledged, received
     * or moved) before giving up (default 3): a backlog of any size
     * finishes in one call while each round makes progress. */
    size_t max_idle_rounds;
    int verbose; /* print each round trip to stderr */
    /* When not NULL and set (by a signal handler), the transfer under way
     * is abandoned and xa_sync_run returns XA_ETRANSIENT "stopped". */
    volatile int *stop;
    /* Called after each completed round trip (the daemon's heartbeat). */
    void (*on_round)(void *ud);
    void *ud;
} xa_sync_opts;

void xa_sync_opts_default(xa_sync_opts *o);

typedef struct xa_sync_report {
    uint64_t ops_sent, ops_received;
    uint64_t snapshot_fields;            /* a fresh PC: fields received as a snapshot */
    uint64_t bytes_sent, bytes_received; /* on the wire: headers and bodies */
    uint64_t requests;
    size_t renoded;    /* ops moved to a new node id (a PC restored from a backup) */
    int retry_after_s; /* the server asked to wait this long (503), else 0 */
    int http_status;   /* last HTTP status, 0 if none */
} xa_sync_report;

/* Sync `st` with its remote (xa_syncstate_remote_get).  0 when both sides
 * hold the same ops; XA_ETRANSIENT for a network or server failure worth
 * retrying; XA_EAUTH for a refused token; other codes for what a person
 * must fix.  The message says which, in words a clerk can act on. */
int xa_sync_run(xa_store *st, const xa_sync_opts *o, xa_sync_report *rep);

/* libcurl's global setup and teardown: once per process. */
int xa_sync_global_init(void);
void xa_sync_global_cleanup(void);

#endif
