/*
 * Driving the fault-injecting proxy (tests/proxy/xaproxy.c) from a test.
 *
 * xaproxy --listen 127.0.0.1:0 --to 127.0.0.1:PORT
 *   prints "listening on 127.0.0.1:P control on 127.0.0.1:C" and forwards
 *   TCP from P to PORT.  Commands, one line each on a new connection to C,
 *   answered with one line ("ok", "stats ...", or "error ..."):
 *     pass                 forward normally (the default)
 *     latency MS           delay every chunk by MS, each direction
 *     bandwidth BPS        at most BPS bytes per second, each direction
 *     cut-up N             each new connection: close both sides after N
 *                          bytes client -> server
 *     cut-down N           same, server -> client
 *     reset                reset every open connection (RST), and new ones
 *     blackhole            accept, never forward nor answer
 *     refuse               stop listening: connections are refused
 *     stats                "stats up U down D conns N"
 *     zero                 counters to 0
 *   Modes combine: latency and bandwidth stay until set to 0; pass clears
 *   cut-up, cut-down, reset, blackhole and refuse.
 */
#ifndef XA_PROXY_CTL_H
#define XA_PROXY_CTL_H

#include <stddef.h>
#include <stdint.h>

typedef struct xt_proxy {
    int pid;
    int port;    /* where clients connect */
    int control; /* the control port */
} xt_proxy;

/* Start xaproxy in front of 127.0.0.1:to_port; fails the test if it does
 * not start within 10 s. */
void xt_proxy_start(xt_proxy *p, int to_port);
/* Send one command; the reply line (without newline) goes to `reply`.
 * Returns 0 if the reply starts with "ok" or "stats". */
int xt_proxy_cmd(xt_proxy *p, const char *cmd, char *reply, size_t cap);
/* Bytes forwarded each way and connections accepted since start/zero. */
void xt_proxy_stats(xt_proxy *p, uint64_t *up, uint64_t *down, uint64_t *conns);
/* SIGTERM, wait, reap. */
void xt_proxy_stop(xt_proxy *p);

#endif
