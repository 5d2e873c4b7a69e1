/*
 * What a PC remembers about its district server: where it is, what the
 * server last said it held (the acknowledgement), and every sync attempt.
 * Plain data in the store; the HTTP lives in sync/.
 */
#ifndef XASYNC_SYNCSTATE_H
#define XASYNC_SYNCSTATE_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

#define XA_PATH_MAX 1024
#define XA_URL_MAX 1024

typedef struct xa_remote {
    char url[XA_URL_MAX];         /* https://district.example/ or http://127.0.0.1:PORT */
    char token_file[XA_PATH_MAX]; /* the file holding the commune's token */
    char cacert[XA_PATH_MAX];     /* "" : the system's CAs */
} xa_remote;

/* XA_ENOTFOUND when no remote is set. */
int xa_syncstate_remote_get(xa_store *st, xa_remote *out);
int xa_syncstate_remote_set(xa_store *st, const xa_remote *r);

/* The server's version vector as it last answered (empty before a first
 * sync).  Ops past it are the ones waiting to be sent. */
int xa_syncstate_acked_get(xa_store *st, const char *scope, xa_vv *out);
int xa_syncstate_acked_set(xa_store *st, const char *scope, const xa_vv *acked);

/* Ops of this replica's scope that the server has not acknowledged. */
int xa_syncstate_pending(xa_store *st, const char *scope, uint64_t *out);

typedef struct xa_attempt {
    int64_t started; /* ms since 1970 */
    int64_t ended;
    int ok;
    char error[256]; /* "" when ok */
    uint64_t ops_sent, ops_received;
    uint64_t bytes_sent, bytes_received;
    uint64_t requests;
} xa_attempt;

/* Record an attempt (the newest 1,000 are kept). */
int xa_syncstate_attempt_add(xa_store *st, const xa_attempt *a);
/* The newest attempt (ok_only: the newest successful one); XA_ENOTFOUND if
 * none. */
int xa_syncstate_attempt_last(xa_store *st, int ok_only, xa_attempt *out);

/* The daemon's plan, for `xasync status` and the editor's badge. */
typedef struct xa_daemon_state {
    int pid;           /* 0: no daemon has run */
    int64_t started;   /* ms */
    int64_t heartbeat; /* ms: the daemon's last sign of life */
    int64_t next_try;  /* ms: when it will try next (0: as soon as there is work) */
    uint32_t failures; /* failed attempts in a row */
} xa_daemon_state;

int xa_syncstate_daemon_get(xa_store *st, xa_daemon_state *out);
int xa_syncstate_daemon_put(xa_store *st, const xa_daemon_state *d);

/* The first failed attempt after the last success (when the link went
 * down); XA_ENOTFOUND if the last attempt succeeded or there is none. */
int xa_syncstate_failing_since(xa_store *st, xa_attempt *out);

#endif
