/*
 * xasync-district internals: the HTTP service (http.c), tokens (auth.c) and
 * the command line (main.c).
 */
#ifndef XA_SERVER_DISTRICT_H
#define XA_SERVER_DISTRICT_H

#include "xasync/district.h"
#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

/* Stated limits, each a `serve` option (README, "The district server"). */
typedef struct xa_serve_opts {
    const char *listen;   /* "127.0.0.1:8640", "[::1]:0" */
    const char *tls_cert; /* PEM files, or NULL for plain HTTP */
    const char *tls_key;
    size_t max_body;           /* compressed request body (default 4 MiB) */
    size_t max_inflated;       /* inflated request body (default 8 MiB) */
    size_t max_values;         /* JSON values in one request (default 200,000) */
    size_t max_ops;            /* ops in one request (default XA_SYNC_MAX_OPS, 1,000) */
    size_t max_buffered;       /* request bodies held at once, in all (default 32 MiB) */
    size_t max_header;         /* memory per connection for headers (default 16 KiB) */
    unsigned max_conns;        /* connections at once, the whole server (default 1024) */
    unsigned max_per_addr;     /* connections at once from one address (default 32) */
    unsigned timeout_s;        /* idle client (default 60) */
    unsigned header_timeout_s; /* a request's headers, from the connection (default 15) */
    unsigned body_timeout_s;   /* a request's body, from its headers (default 120) */
    unsigned threads;          /* worker threads (default 4) */
    size_t max_ops_back;       /* most ops in one response (default 5000) */
    size_t max_answer_bytes;   /* most bytes of ops in one response (default 8 MiB) */
} xa_serve_opts;

void xa_serve_opts_default(xa_serve_opts *o);

/* Serve until SIGTERM or SIGINT.  Prints "listening on ADDR:PORT" on stdout
 * once it serves (port 0: the one the OS chose; TLS set up). */
int xa_serve(xa_store *st, const xa_serve_opts *o);

/* Every commune as JSON (GET /v1/scopes and `communes --json`): an array of
 * {"scope", "name", "last_sync" (ISO time or null), "ops", "conflicts"}.
 * malloc'd, NULL when out of memory. */
char *xa_communes_json(const xa_commune *v, size_t n, int pretty);

/* A new token: 256 random bits as 43 base64url characters (out holds at
 * least 44 bytes), and its hash. */
int xa_token_new(char out[65], uint8_t hash[XA_TOKEN_HASH]);
/* SHA-256 of a presented token. */
int xa_token_hash(const char *token, size_t len, uint8_t hash[XA_TOKEN_HASH]);

/* The district's commands about forms and reports (forms.c): form, accept,
 * return, check, and rollup --form.  Returns the exit code, or -1 when the
 * command line is not one of them. */
int xa_district_report_cmd(int argc, char **argv);

#endif
