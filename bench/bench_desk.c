/*
 * bench_desk: the district desk's pages for many communes, in server time
 * (the time the worker spends in xa_desk_handle, as the server calls it).
 * Prints figures; never passes or fails on time (it exits non-zero only when
 * something it runs fails).
 *
 *   setup: N communes, each with one report of a 30-indicator form, figures
 *   filled in and sent (as bench_rollup writes them), a deadline, an officer
 *   warm-up: X ms (with --warm)         what the server does at start and
 *                                       after syncs (xa_desk_warm)
 *   completeness, first request: X ms   GET /desk/ (without --warm: every
 *                                       report checked once)
 *   rollup page, first request: X ms    GET /desk/rollup (xa_rollup2 and the page)
 *   completeness median: X ms           the same again (check counts kept
 *                                       while a commune's data is unchanged)
 *   rollup page median: X ms            the same again (the rollup kept while
 *                                       no op reaches the district)
 *   completeness, one commune changed: X ms   before the server's refresh
 *   rollup page, one commune changed: X ms
 *   rollup .xlsx median: X ms           GET /desk/rollup.xlsx
 *   then every commune sends a report for 2023-h1 too, for the rollup
 *   page's line over periods:
 *   rollup page, two periods, first: X ms    (two rollups made, without --warm)
 *   rollup page, two periods, median: X ms
 *   admin's value for a field in conflict, median: X ms
 *                                       POST /desk/resolve (check, write,
 *                                       answer), each on a fresh conflict
 *                                       made by two PCs' ops
 *
 * Options: --communes N (200), --runs N (10), and last --warm: the server's
 * warm-up first (xa_desk_warm), as `serve` runs it at start.  Goal (issue 15): the
 * completeness page and the rollup for 200 communes under 300 ms of server
 * time.
 */
#include "bench_fixture.h"
#include "desk.h"
#include "xasync/district.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void die(const char *what)
{
    xb_die("bench_desk", what);
}

static char *jstr(const char *s)
{
    return xb_jstr(s);
}

static void nolock(void *lk)
{
    (void)lk;
}

/* One GET through the desk, as the server's worker makes it: ms, and the
 * answer's size (checked: 200). */
static double
get(xa_store *st, const char *session, const char *path, const char *const *args, size_t *bytes)
{
    xa_desk_req q;
    xa_desk_resp r;

    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.method = "GET";
    q.path = path;
    q.args = args;
    q.session = session;
    q.addr = "127.0.0.1";
    double a = xb_now_ms();
    xa_desk_handle(st, &q, &r, nolock, nolock, NULL);
    double t = xb_now_ms() - a;
    if (r.status != 200) {
        fprintf(stderr, "bench_desk: GET %s: %u %.*s\n", path, r.status,
                (int)(r.len > 400 ? 400 : r.len), r.body ? r.body : "");
        exit(1);
    }
    *bytes = r.len;
    free(r.body);
    return t;
}

int main(int argc, char **argv)
{
    int ncommunes = 200, runs = 10;
    char dir[] = "/tmp/bench-desk-XXXXXX", path[128];
    xa_store *st = NULL;
    xa_form f;
    double *t;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--communes") == 0)
            ncommunes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (ncommunes < 1 || runs < 1 || mkdtemp(dir) == NULL)
        return 2;
    t = calloc((size_t)runs, sizeof(*t));
    snprintf(path, sizeof(path), "%s/district.db", dir);
    if (xa_store_create(&st, path, NULL) < 0)
        die("create");

    double t0 = xb_district(st, ncommunes, &f);
    xa_store_close(st);
    printf("setup: %d communes x %zu indicators, written and sent in %.0f ms\n", ncommunes, f.n,
           xb_now_ms() - t0);
    xa_form_free(&f);
    if (xa_store_open(&st, path) < 0 ||
        xa_desk_deadline_set(st, "bench", "2024-h1", 1720655999000) < 0 ||
        xa_desk_user_add(st, "lan", "officer", "mat-khau-huyen", 14) < 0)
        die("deadline, user");
    char token[65], csrf[65];
    int retry = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (xa_desk_login(st, "lan", "mat-khau-huyen", 14, "127.0.0.1", (int64_t)ts.tv_sec * 1000,
                      token, csrf, &retry, NULL, NULL, NULL) < 0)
        die("login");

    static const char *const cargs[] = {"form", "bench", "period", "2024-h1", NULL};
    if (argc > 1 && strcmp(argv[argc - 1], "--warm") == 0) {
        double w = xb_now_ms();
        xa_desk_warm(st);
        printf("warm-up (what the server does at start and after syncs): %.1f ms\n",
               xb_now_ms() - w);
    }
    size_t bytes = 0;
    double first = get(st, token, "/desk/", cargs, &bytes);
    printf("completeness, first request: %.1f ms (%zu bytes)\n", first, bytes);
    first = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page, first request: %.1f ms (%zu bytes)\n", first, bytes);
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/", cargs, &bytes);
    printf("completeness median: %.1f ms\n", xb_median(t, runs));
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page median: %.1f ms (the rollup kept while no op arrives)\n",
           xb_median(t, runs));
    {
        char *j = jstr("1");
        if (xa_store_set(st, "xa-007", "report-2024-h1", "note", j, "bench", 0, NULL) < 0)
            die("edit");
        free(j);
    }
    printf("completeness, one commune changed: %.1f ms\n", get(st, token, "/desk/", cargs, &bytes));
    printf("rollup page, one commune changed: %.1f ms\n",
           get(st, token, "/desk/rollup", cargs, &bytes));
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/rollup.xlsx", cargs, &bytes);
    printf("rollup .xlsx median: %.1f ms (%zu bytes)\n", xb_median(t, runs), bytes);

    /* a second period: the rollup page draws each indicator over both */
    t0 = xb_now_ms();
    if (xa_form_get(st, XA_FORMS_SCOPE, "bench", &f) < 0)
        die("form get");
    for (int c = 0; c < ncommunes; c++) {
        char scope[32];
        snprintf(scope, sizeof(scope), "xa-%03d", c);
        xb_report_fill(st, scope, "report-2023-h1", &f, "2023-h1", c + 1);
    }
    xa_form_free(&f);
    printf("setup: a 2023-h1 report of every commune in %.0f ms\n", xb_now_ms() - t0);
    if (argc > 1 && strcmp(argv[argc - 1], "--warm") == 0) {
        double w = xb_now_ms();
        xa_desk_warm(st);
        printf("warm-up, two periods: %.1f ms\n", xb_now_ms() - w);
    }
    first = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page, two periods, first: %.1f ms (%zu bytes)\n", first, bytes);
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page, two periods, median: %.1f ms\n", xb_median(t, runs));

    /* an admin's value for a field in conflict, each on a fresh conflict:
     * two PCs' ops on one figure, then POST /desk/resolve */
    char atok[65], acsrf[65];
    if (xa_desk_user_add(st, "an", "admin", "mat-khau-huyen", 14) < 0 ||
        xa_desk_login(st, "an", "mat-khau-huyen", 14, "127.0.0.1", (int64_t)ts.tv_sec * 1000, atok,
                      acsrf, &retry, NULL, NULL, NULL) < 0)
        die("admin");
    xa_report r;
    if (xa_report_load(st, "xa-000", "report-2024-h1", &r) < 0)
        die("load");
    int done = 0;
    for (size_t i = 0; i < r.n && done < runs; i++) {
        char ent[XA_ENTITY_MAX + 1], seen[256], body[1024];
        xa_field fd;
        if (strcmp(r.b[i].kind, "row") != 0)
            continue;
        snprintf(ent, sizeof(ent), "report-2024-h1/b/%s", r.b[i].id);
        if (xa_store_get(st, "xa-000", ent, "est", &fd) < 0)
            die("get");
        xa_op ops[2];
        memset(ops, 0, sizeof(ops));
        for (int k = 0; k < 2; k++) {
            ops[k].scope = "xa-000";
            ops[k].node = (xa_node)(0x5100000000000000ULL + (uint64_t)done * 2 + (uint64_t)k + 1);
            ops[k].seq = 1;
            ops[k].entity = ent;
            ops[k].field = "est";
            ops[k].value = k ? "\"7,5\"" : "\"8,5\"";
            ops[k].ctx = fd.fctx;
            ops[k].hlc = (int64_t)ts.tv_sec * 1000 + 1000 * (int64_t)done;
            ops[k].author = k ? "PC 2" : "PC 1";
        }
        if (xa_store_apply(st, "xa-000", ops, 2, NULL) < 0)
            die("conflict");
        xa_field_clear(&fd);
        if (xa_store_get(st, "xa-000", ent, "est", &fd) < 0 || fd.n != 2)
            die("no conflict");
        size_t k = 0;
        for (size_t j = 0; j < fd.n; j++) {
            char hex[XA_NODE_HEX + 1];
            xa_node_format(fd.v[j].dot.node, hex);
            k += (size_t)snprintf(seen + k, sizeof(seen) - k, "%s%s%%3A%llu", j ? "%2C" : "", hex,
                                  (unsigned long long)fd.v[j].dot.seq);
        }
        xa_field_clear(&fd);
        snprintf(body, sizeof(body),
                 "csrf=%s&scope=xa-000&entity=report-2024-h1%%2Fb%%2F%s&field=est&seen=%s"
                 "&value=9%%2C5",
                 acsrf, r.b[i].id, seen);
        xa_desk_req q;
        xa_desk_resp rs;
        memset(&q, 0, sizeof(q));
        memset(&rs, 0, sizeof(rs));
        q.method = "POST";
        q.path = "/desk/resolve";
        q.session = atok;
        q.addr = "127.0.0.1";
        q.body = body;
        q.bodylen = strlen(body);
        double a = xb_now_ms();
        xa_desk_handle(st, &q, &rs, nolock, nolock, NULL);
        t[done] = xb_now_ms() - a;
        if (rs.status != 303) {
            fprintf(stderr, "bench_desk: POST /desk/resolve: %u %.*s\n", rs.status,
                    (int)(rs.len > 400 ? 400 : rs.len), rs.body ? rs.body : "");
            exit(1);
        }
        free(rs.body);
        done++;
    }
    xa_report_free(&r);
    if (done)
        printf("admin's value for a field in conflict, median: %.1f ms (%d writes)\n",
               xb_median(t, done), done);
    xa_store_close(st);
    free(t);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
