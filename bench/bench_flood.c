/*
 * One commune floods, the others sync: does the district keep serving them?
 *
 * A fresh district database with 21 communes and the real `xasync-district
 * serve` on 127.0.0.1.  Twenty clients (one thread each, one kept-alive
 * connection each, libcurl) sync in a loop, each request carrying a few new
 * ops of its own PC, and time every request.  Phase 1 is quiet; in phase 2
 * the 21st commune floods at the same time: FLOOD_CONNS connections sending
 * back to back the largest request the server takes (XA_SYNC_MAX_OPS ops
 * from one PC, each on a new field: the heaviest legitimate work a request can ask
 * for).  Printed: the quiet and flooded p50/p99 of the others' syncs, their
 * ratio (the goal: p99 within 2x of quiet), and the ops per second applied
 * for the flooder and for the others.
 *
 *   cmake --build build --target bench_flood && build/bench/bench_flood [SECONDS]
 *
 * Prints figures; never fails on a figure.  Exit 1 only if the set-up fails
 * or a legitimate sync is refused.
 */
#define _GNU_SOURCE
#include "xasync/changeset.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCOMMUNES 20
#define FLOOD_CONNS 4
#define OPS_PER_SYNC 5
#define FLOOD_OPS XA_SYNC_MAX_OPS

static char dir[256], ddb[320];
static char tokens[NCOMMUNES + 1][80];
static int port;
static volatile int stop_clients, stop_flood;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void scope_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "xa-%02d", i);
}

/* Run the district command; its stdout (one line) in `out`. */
static int district(char *out,
                    size_t cap,
                    const char *a1,
                    const char *a2,
                    const char *a3,
                    const char *a4,
                    const char *a5)
{
    char cmd[1024];
    FILE *p;

    snprintf(cmd, sizeof cmd, "'%s' --db '%s' %s %s %s %s %s 2>>'%s/district.log'", XA_DISTRICT_BIN,
             ddb, a1, a2 ? a2 : "", a3 ? a3 : "", a4 ? a4 : "", a5 ? a5 : "", dir);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    char sinkbuf[512];
    size_t n = out ? fread(out, 1, cap - 1, p) : 0;
    while (fread(sinkbuf, 1, sizeof sinkbuf, p) > 0)
        ;
    if (out) {
        out[n] = '\0';
        out[strcspn(out, "\n")] = '\0';
    }
    return pclose(p) == 0 ? 0 : -1;
}

static pid_t server_pid;

static int start_server(void)
{
    int fds[2];
    char line[256];
    size_t n = 0;

    if (pipe(fds) != 0)
        return -1;
    server_pid = fork();
    if (server_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(XA_DISTRICT_BIN, XA_DISTRICT_BIN, "--db", ddb, "serve", "--listen", "127.0.0.1:0",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (n + 1 < sizeof line) {
        ssize_t k = read(fds[0], line + n, 1);
        if (k <= 0)
            break;
        if (line[n++] == '\n')
            break;
    }
    line[n] = '\0';
    close(fds[0]);
    char *c = strrchr(line, ':');
    port = c ? atoi(c + 1) : 0;
    return port > 0 ? 0 : -1;
}

typedef struct body {
    char *p;
    size_t n;
} body;

static size_t sink(char *d, size_t size, size_t nmemb, void *ud)
{
    (void)d;
    (void)ud;
    return size * nmemb;
}

/* A sync request of commune `ci` from node `node`: ops seq from..to, each
 * on a field of its own. */
static unsigned char *make_req(int ci, const char *node, uint64_t from, uint64_t to, size_t *len)
{
    char scope[32];
    size_t cap = (size_t)(to - from + 1) * 96 + 512, n = 0;
    char *t = malloc(cap);
    unsigned char *out = NULL;

    scope_of(ci, scope, sizeof scope);
    n += (size_t)snprintf(
        t + n, cap - n,
        "{\"format\":\"xasync-sync\",\"version\":1,\"scope\":\"%s\",\"node\":\"%s\","
        "\"have\":{\"%s\":%llu},\"max\":2000,\"nodes\":{\"%s\":[",
        scope, node, node, (unsigned long long)to, node);
    for (uint64_t s = from; s <= to; s++)
        n += (size_t)snprintf(t + n, cap - n,
                              "%s[%llu,\"e-%llu\",\"v\",\"%llu\",{},%llu,\"Lê Thị Lan\"]",
                              s > from ? "," : "", (unsigned long long)s, (unsigned long long)s,
                              (unsigned long long)s, 1717200000000ULL + s);
    n += (size_t)snprintf(t + n, cap - n, "]}}");
    if (xa_pack(&out, len, t, n, XA_PACK_DEFLATE) != 0)
        out = NULL;
    free(t);
    return out;
}

static long post(CURL *c, int ci, const unsigned char *b, size_t len)
{
    char url[128], auth[160], scope[32];
    struct curl_slist *h = NULL;
    long status = 0;

    scope_of(ci, scope, sizeof scope);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/scopes/%s/sync", port, scope);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tokens[ci]);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Content-Encoding: deflate");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)b);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

typedef struct client {
    int ci;
    char node[17];
    uint64_t seq;
    double *lat;
    size_t n, cap;
    int failed;
    uint64_t ops;
} client;

static void *client_run(void *arg)
{
    client *k = arg;
    CURL *c = curl_easy_init();

    while (!stop_clients) {
        size_t len = 0;
        unsigned char *b = make_req(k->ci, k->node, k->seq + 1, k->seq + OPS_PER_SYNC, &len);
        double t0 = now_ms();
        long st = post(c, k->ci, b, len);
        double dt = now_ms() - t0;
        free(b);
        if (st != 200) {
            k->failed++;
            fprintf(stderr, "bench_flood: commune %d: HTTP %ld\n", k->ci, st);
            break;
        }
        k->seq += OPS_PER_SYNC;
        k->ops += OPS_PER_SYNC;
        if (k->n == k->cap) {
            k->cap = k->cap ? 2 * k->cap : 256;
            k->lat = realloc(k->lat, k->cap * sizeof(double));
        }
        k->lat[k->n++] = dt;
        usleep(20 * 1000); /* a PC syncs, then thinks a little */
    }
    curl_easy_cleanup(c);
    return NULL;
}

typedef struct flooder {
    char node[17];
    unsigned char **b;
    size_t *len;
    int nb;
    uint64_t ops;
    long refused;
} flooder;

/* The flooding commune: FLOOD_CONNS connections, each its own PC (node),
 * requests of XA_SYNC_MAX_OPS ops back to back. */
static void *flood_run(void *arg)
{
    flooder *f = arg;
    CURL *c = curl_easy_init();

    for (int i = 0; i < f->nb && !stop_flood; i++) {
        long st = post(c, NCOMMUNES, f->b[i], f->len[i]);
        if (st != 200) {
            f->refused++;
            break;
        }
        f->ops += FLOOD_OPS;
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* The flood's requests, made before the clock starts: the bench's own
 * threads must not take the CPU the server needs. */
static void flood_prepare(flooder *f, int nb)
{
    f->nb = nb;
    f->b = calloc((size_t)nb, sizeof(*f->b));
    f->len = calloc((size_t)nb, sizeof(*f->len));
    for (int i = 0; i < nb; i++)
        f->b[i] = make_req(NCOMMUNES, f->node, (uint64_t)i * FLOOD_OPS + 1,
                           (uint64_t)(i + 1) * FLOOD_OPS, &f->len[i]);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct fig {
    double p50, p99, max;
    size_t n;
    uint64_t ops;
} fig;

static int phase(client *k, int flood, double secs, fig *out, uint64_t *flood_ops)
{
    pthread_t t[NCOMMUNES], ft[FLOOD_CONNS];
    flooder fl[FLOOD_CONNS];
    double *all = NULL;
    size_t n = 0;
    int failed = 0;

    stop_clients = stop_flood = 0;
    memset(fl, 0, sizeof fl);
    for (int i = 0; flood && i < FLOOD_CONNS; i++) {
        snprintf(fl[i].node, sizeof fl[i].node, "f%015x", (unsigned)(rand() & 0xfffffff));
        flood_prepare(&fl[i], (int)(secs * 40) + 20);
    }
    for (int i = 0; flood && i < FLOOD_CONNS; i++)
        pthread_create(&ft[i], NULL, flood_run, &fl[i]);
    if (flood)
        usleep(500 * 1000);
    for (int i = 0; i < NCOMMUNES; i++) {
        k[i].n = 0;
        k[i].ops = 0;
        pthread_create(&t[i], NULL, client_run, &k[i]);
    }
    usleep((useconds_t)(secs * 1e6));
    stop_clients = 1;
    for (int i = 0; i < NCOMMUNES; i++) {
        pthread_join(t[i], NULL);
        failed += k[i].failed;
        all = realloc(all, (n + k[i].n) * sizeof(double));
        memcpy(all + n, k[i].lat, k[i].n * sizeof(double));
        n += k[i].n;
        out->ops += k[i].ops;
    }
    stop_flood = 1;
    *flood_ops = 0;
    for (int i = 0; flood && i < FLOOD_CONNS; i++) {
        pthread_join(ft[i], NULL);
        *flood_ops += fl[i].ops;
        for (int b = 0; b < fl[i].nb; b++)
            free(fl[i].b[b]);
        free(fl[i].b);
        free(fl[i].len);
        if (fl[i].refused)
            fprintf(stderr, "bench_flood: the flooder was refused %ld times\n", fl[i].refused);
    }
    qsort(all, n, sizeof(double), cmp_d);
    out->n = n;
    out->p50 = n ? all[n / 2] : 0;
    out->p99 = n ? all[(size_t)(n * 0.99)] : 0;
    out->max = n ? all[n - 1] : 0;
    free(all);
    return failed;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 10;
    client k[NCOMMUNES];
    fig quiet = {0}, flooded = {0};
    uint64_t fops = 0, q0 = 0;
    char out[256], scope[32];

    srand((unsigned)time(NULL));
    snprintf(dir, sizeof dir, "/tmp/bench_flood.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(ddb, sizeof ddb, "%s/district.db", dir);
    if (district(NULL, 0, "init", NULL, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "bench_flood: xasync-district init failed (%s/district.log)\n", dir);
        return 1;
    }
    for (int i = 0; i <= NCOMMUNES; i++) {
        scope_of(i, scope, sizeof scope);
        if (district(out, sizeof out, "commune", "add", scope, "--name", scope) != 0) {
            fprintf(stderr, "bench_flood: commune add failed (%s/district.log)\n", dir);
            return 1;
        }
        snprintf(tokens[i], sizeof tokens[i], "%.79s", out);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (start_server() != 0) {
        fprintf(stderr, "bench_flood: the server did not start\n");
        return 1;
    }
    memset(k, 0, sizeof k);
    for (int i = 0; i < NCOMMUNES; i++) {
        k[i].ci = i;
        snprintf(k[i].node, sizeof k[i].node, "%016llx",
                 (unsigned long long)(0x1000000000000000ULL + (uint64_t)i * 7919));
    }
    int failed = phase(k, 0, secs, &quiet, &q0);
    failed += phase(k, 1, secs, &flooded, &fops);
    printf("20 communes syncing (%d ops a sync, %d ms apart), %.0f s a phase, 2-core machine\n",
           OPS_PER_SYNC, 20, secs);
    printf("quiet:   %zu syncs, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.0f ops/s\n", quiet.n,
           quiet.p50, quiet.p99, quiet.max, quiet.ops / secs);
    printf("flooded: %zu syncs, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.0f ops/s; the flooder "
           "(%d connections, %d-op requests) %.0f ops/s\n",
           flooded.n, flooded.p50, flooded.p99, flooded.max, flooded.ops / secs, FLOOD_CONNS,
           FLOOD_OPS, fops / secs);
    printf("p99 flooded / quiet: %.2fx (goal: within 2x)\n",
           quiet.p99 > 0 ? flooded.p99 / quiet.p99 : 0);
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_flood: could not remove %s\n", dir);
    for (int i = 0; i < NCOMMUNES; i++)
        free(k[i].lat);
    curl_global_cleanup();
    if (failed)
        fprintf(stderr, "bench_flood: %d legitimate syncs refused\n", failed);
    return failed ? 1 : 0;
}
