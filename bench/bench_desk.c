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
 *
 * Options: --communes N (200), --runs N (10), and last --warm: the server's
 * warm-up first (xa_desk_warm), as `serve` runs it at start.  Goal (issue 15): the
 * completeness page and the rollup for 200 communes under 300 ms of server
 * time.
 */
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

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[n / 2];
}

static void die(const char *what)
{
    fprintf(stderr, "bench_desk: %s: %s\n", what, xa_error_last());
    exit(1);
}

static char *jstr(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    char *o = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return o;
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
    double a = now_ms();
    xa_desk_handle(st, &q, &r, nolock, nolock, NULL);
    double t = now_ms() - a;
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

    /* a form of 30 indicators in five units and three aggregations */
    static const char *const units[] = {"tấn", "ha", "Trđ", "%", "DN"};
    cJSON *o = cJSON_CreateObject(), *inds;
    cJSON_AddStringToObject(o, "format", "xasync-form");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "id", "bench");
    cJSON_AddStringToObject(o, "kind", "so-ket-6-thang");
    cJSON_AddStringToObject(o, "period_type", "half-year");
    cJSON_AddStringToObject(o, "title", "Sơ kết 6 tháng đầu năm 2024");
    inds = cJSON_AddArrayToObject(o, "indicators");
    for (int i = 0; i < 30; i++) {
        cJSON *x = cJSON_CreateObject();
        char code[16], tt[8], name[64];
        snprintf(code, sizeof(code), "KT-%02d", i + 1);
        snprintf(tt, sizeof(tt), "%d", i + 1);
        snprintf(name, sizeof(name), "Chỉ tiêu số %d", i + 1);
        cJSON_AddStringToObject(x, "code", code);
        cJSON_AddStringToObject(x, "tt", tt);
        cJSON_AddStringToObject(x, "name", name);
        cJSON_AddStringToObject(x, "unit", units[i % 5]);
        cJSON_AddStringToObject(x, "aggregation", i % 5 == 3 ? "mean" : "sum");
        cJSON_AddItemToArray(inds, x);
    }
    char *fj = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (xa_form_parse(fj, strlen(fj), 0, &f) < 0)
        die("form");
    free(fj);

    double t0 = now_ms();
    if (xa_store_begin(st) < 0 || xa_form_put(st, XA_FORMS_SCOPE, &f, "bench") < 0)
        die("form put");
    for (int c = 0; c < ncommunes; c++) {
        char scope[32], name[64];
        snprintf(scope, sizeof(scope), "xa-%03d", c);
        snprintf(name, sizeof(name), "Xã số %d", c);
        if (xa_district_commune_add(st, scope, name) < 0 || xa_form_put(st, scope, &f, "bench") < 0)
            die("commune");
    }
    if (xa_store_commit(st) < 0)
        die("commit");
    for (int c = 0; c < ncommunes; c++) {
        char scope[32];
        xa_report r;
        snprintf(scope, sizeof(scope), "xa-%03d", c);
        if (xa_report_new(st, scope, "report-2024-h1", &f, "2024-h1", "bench") < 0 ||
            xa_report_load(st, scope, "report-2024-h1", &r) < 0 || xa_store_begin(st) < 0)
            die("report");
        for (size_t i = 0; i < r.n; i++) {
            char ent[XA_ENTITY_MAX + 1], v[32];
            if (strcmp(r.b[i].kind, "row") != 0)
                continue;
            snprintf(ent, sizeof(ent), "report-2024-h1/b/%s", r.b[i].id);
            static const char *const cols[] = {"prev", "plan", "est"};
            for (int k = 0; k < 3; k++) {
                snprintf(v, sizeof(v), "%d,%d", 100 + c + (int)i * 7 + k * 13, (c + k) % 10);
                char *j = jstr(v);
                if (xa_store_set(st, scope, ent, cols[k], j, "bench", 0, NULL) < 0)
                    die("figure");
                free(j);
            }
        }
        xa_report_free(&r);
        if (xa_store_commit(st) < 0 || xa_report_submit(st, scope, "report-2024-h1", "bench") < 0)
            die("submit");
    }
    xa_store_close(st);
    printf("setup: %d communes x %zu indicators, written and sent in %.0f ms\n", ncommunes, f.n,
           now_ms() - t0);
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
        double w = now_ms();
        xa_desk_warm(st);
        printf("warm-up (what the server does at start and after syncs): %.1f ms\n", now_ms() - w);
    }
    size_t bytes = 0;
    double first = get(st, token, "/desk/", cargs, &bytes);
    printf("completeness, first request: %.1f ms (%zu bytes)\n", first, bytes);
    first = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page, first request: %.1f ms (%zu bytes)\n", first, bytes);
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/", cargs, &bytes);
    printf("completeness median: %.1f ms\n", median(t, runs));
    for (int i = 0; i < runs; i++)
        t[i] = get(st, token, "/desk/rollup", cargs, &bytes);
    printf("rollup page median: %.1f ms (the rollup kept while no op arrives)\n", median(t, runs));
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
    printf("rollup .xlsx median: %.1f ms (%zu bytes)\n", median(t, runs), bytes);
    xa_store_close(st);
    free(t);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
