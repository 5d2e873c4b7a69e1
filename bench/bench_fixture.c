/* What the district benchmarks share: bench_fixture.h. */
#include "bench_fixture.h"

#include "xasync/district.h"
#include "xasync/error.h"
#include "xasync/report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double xb_now_ms(void)
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

double xb_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[n / 2];
}

_Noreturn void xb_die(const char *name, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", name, what, xa_error_last());
    exit(1);
}

char *xb_jstr(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    char *o = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (o == NULL)
        xb_die("bench", "out of memory");
    return o;
}

void xb_form(xa_form *f)
{
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
    if (fj == NULL || xa_form_parse(fj, strlen(fj), 0, f) < 0)
        xb_die("bench", "form");
    free(fj);
}

void xb_report_fill(
    xa_store *st, const char *scope, const char *id, const xa_form *f, const char *period, int c)
{
    xa_report r;

    if (xa_report_new(st, scope, id, f, period, "bench") < 0 ||
        xa_report_load(st, scope, id, &r) < 0 || xa_store_begin(st) < 0)
        xb_die("bench", "report");
    for (size_t i = 0; i < r.n; i++) {
        char ent[XA_ENTITY_MAX + 1], v[32];
        if (strcmp(r.b[i].kind, "row") != 0)
            continue;
        snprintf(ent, sizeof(ent), "%s/b/%s", id, r.b[i].id);
        static const char *const cols[] = {"prev", "plan", "est"};
        for (int k = 0; k < 3; k++) {
            snprintf(v, sizeof(v), "%d,%d", 100 + c + (int)i * 7 + k * 13, (c + k) % 10);
            char *j = xb_jstr(v);
            if (xa_store_set(st, scope, ent, cols[k], j, "bench", 0, NULL) < 0)
                xb_die("bench", "figure");
            free(j);
        }
    }
    xa_report_free(&r);
    if (xa_store_commit(st) < 0 || xa_report_submit(st, scope, id, "bench") < 0)
        xb_die("bench", "submit");
}

double xb_district(xa_store *st, int ncommunes, xa_form *f)
{
    xb_form(f);
    double t0 = xb_now_ms();
    if (xa_store_begin(st) < 0 || xa_form_put(st, XA_FORMS_SCOPE, f, "bench") < 0)
        xb_die("bench", "form put");
    for (int c = 0; c < ncommunes; c++) {
        char scope[32], name[64];
        snprintf(scope, sizeof(scope), "xa-%03d", c);
        snprintf(name, sizeof(name), "Xã số %d", c);
        if (xa_district_commune_add(st, scope, name) < 0 || xa_form_put(st, scope, f, "bench") < 0)
            xb_die("bench", "commune");
    }
    if (xa_store_commit(st) < 0)
        xb_die("bench", "commit");
    for (int c = 0; c < ncommunes; c++) {
        char scope[32];
        snprintf(scope, sizeof(scope), "xa-%03d", c);
        xb_report_fill(st, scope, "report-2024-h1", f, "2024-h1", c);
    }
    return t0;
}
