/*
 * `report check` (report.h): the derived columns recomputed, totals the
 * report states, and figures missing where the report does not say they
 * come at year end.  Every finding is said in Vietnamese and in English.
 *
 * The derived columns (so với cùng kỳ = est/prev*100, so với kế hoạch =
 * est/plan*100, còn phải thực hiện = plan-est) are computed exactly
 * (xa_vnum) and compared with what is printed at the printed precision; a
 * printed figure coarser than its data and not equal to it is a finding
 * too (824 for 823,6).
 *
 * Invariants: check reads only; it never writes a field.
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/vnum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_END "Đánh giá vào cuối năm"

static int num(const char *s, xa_vnum *v)
{
    return s && s[0] && xa_vnum_parse(s, v) == 0;
}

static int is_roman(const char *tt)
{
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

/* est/den*100 at 1 decimal, as the seed prints ratios. */
static int ratio_text(const char *est, const char *den, char *out, size_t cap)
{
    xa_vnum e, d, r;

    out[0] = '\0';
    if (!num(est, &e) || !num(den, &d) || xa_vnum_ratio(&e, &d, 1, &r) < 0)
        return -1;
    return xa_vnum_format(&r, out, cap);
}

static int remain_text(const char *plan, const char *est, char *out, size_t cap)
{
    xa_vnum p, e, r, zero = {0, 0, 0};

    out[0] = '\0';
    if (!num(plan, &p) || !num(est, &e) || xa_vnum_sub(&p, &e, &r) < 0)
        return -1;
    if (xa_vnum_cmp(&r, &zero) < 0)
        return 0; /* the plan is exceeded: nothing remains (printed blank) */
    return xa_vnum_format(&r, out, cap);
}

/* Are the printed derived columns still about the row's figures? */
static int printed_current(const xa_block *b)
{
    char now[256];

    if (b->printed_for == NULL || b->printed_for[0] == '\0')
        return 1; /* no record of the figures: what is printed stands */
    snprintf(now, sizeof(now), "%s|%s|%s", b->prev ? b->prev : "", b->plan ? b->plan : "",
             b->est ? b->est : "");
    return strcmp(now, b->printed_for) == 0;
}

void xa_report_derived(const xa_block *b, char *vs_prev, char *vs_plan, char *remain, size_t cap)
{
    vs_prev[0] = vs_plan[0] = remain[0] = '\0';
    if (strcmp(b->kind, "row") != 0 || is_roman(b->tt))
        return;
    if (!printed_current(b)) {
        ratio_text(b->est, b->prev, vs_prev, cap);
        ratio_text(b->est, b->plan, vs_plan, cap);
        remain_text(b->plan, b->est, remain, cap);
        return;
    }
    /* "=" (or absent): computed; anything else, blank included, as printed. */
    if (strcmp(b->vs_prev, "=") != 0)
        snprintf(vs_prev, cap, "%s", b->vs_prev);
    else
        ratio_text(b->est, b->prev, vs_prev, cap);
    if (strcmp(b->vs_plan, "=") != 0)
        snprintf(vs_plan, cap, "%s", b->vs_plan);
    else
        ratio_text(b->est, b->plan, vs_plan, cap);
    if (strcmp(b->remain, "=") != 0)
        snprintf(remain, cap, "%s", b->remain);
    else
        remain_text(b->plan, b->est, remain, cap);
}

/* ---- findings ------------------------------------------------------------ */

typedef struct flist {
    xa_finding *f;
    size_t n;
    int failed;
} flist;

static void add(flist *l, const char *where, const char *vi, const char *en)
{
    xa_finding *f = realloc(l->f, (l->n + 1) * sizeof(*f));

    if (f == NULL) {
        l->failed = 1;
        return;
    }
    l->f = f;
    f = &l->f[l->n];
    f->where = strdup(where);
    f->vi = strdup(vi);
    f->en = strdup(en);
    if (!f->where || !f->vi || !f->en) {
        free(f->where);
        free(f->vi);
        free(f->en);
        l->failed = 1;
        return;
    }
    l->n++;
}

void xa_findings_free(xa_finding *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].where);
        free(f[i].vi);
        free(f[i].en);
    }
    free(f);
}

/* Compare a printed derived figure with the exact value. */
static void check_derived(flist *l,
                          const char *where,
                          const char *label_vi,
                          const char *label_en,
                          const char *printed,
                          const xa_vnum *exact,
                          int exact_ok,
                          const char *why_vi,
                          const char *why_en,
                          int exact_figure)
{
    char vi[512], en[512], want[48];
    xa_vnum p, r;

    if (printed[0] == '\0' || strcmp(printed, "=") == 0)
        return;
    if (!exact_ok) {
        snprintf(vi, sizeof(vi), "%s in \"%s\" nhưng không tính được: %s", label_vi, printed,
                 why_vi);
        snprintf(en, sizeof(en), "%s printed as \"%s\" but it cannot be computed: %s", label_en,
                 printed, why_en);
        add(l, where, vi, en);
        return;
    }
    if (!num(printed, &p)) {
        snprintf(vi, sizeof(vi), "%s \"%s\" không phải là số", label_vi, printed);
        snprintf(en, sizeof(en), "%s \"%s\" is not a number", label_en, printed);
        add(l, where, vi, en);
        return;
    }
    xa_vnum_round(exact, p.scale, &r);
    xa_vnum_format(exact, want, sizeof(want));
    if (xa_vnum_cmp(&r, &p) != 0) {
        char rw[48];
        xa_vnum_round(exact, p.scale > 1 ? p.scale : 1, &r);
        xa_vnum_format(&r, rw, sizeof(rw));
        snprintf(vi, sizeof(vi), "%s ghi %s, tính lại được %s", label_vi, printed, rw);
        snprintf(en, sizeof(en), "%s reads %s, recomputed %s", label_en, printed, rw);
        add(l, where, vi, en);
    } else if (exact_figure && p.scale < exact->scale && xa_vnum_cmp(&p, exact) != 0) {
        /* a difference of figures is exact: printing it coarser loses data
         * (ratios are rounded to one decimal by custom, and are not) */
        snprintf(vi, sizeof(vi), "%s ghi %s, làm tròn từ %s (các dòng khác giữ số lẻ)", label_vi,
                 printed, want);
        snprintf(en, sizeof(en), "%s reads %s, rounded from %s (other rows keep decimals)",
                 label_en, printed, want);
        add(l, where, vi, en);
    }
}

static void check_row(flist *l, const xa_block *b0, int year_end)
{
    /* printed columns no longer about these figures are computed, hence
     * consistent: only what is printed for the figures is checked */
    xa_block fresh = *b0;
    const xa_block *b = b0;
    if (!printed_current(b0)) {
        fresh.vs_prev = fresh.vs_plan = fresh.remain = (char *)"=";
        b = &fresh;
    }
    char where[64], vi[512], en[512];
    xa_vnum prev, plan, est, r;
    int hp = num(b->prev, &prev), hpl = num(b->plan, &plan), he = num(b->est, &est);
    int ok;

    snprintf(where, sizeof(where), "ind/%s", b->tt[0] ? b->tt : b->id);
    /* so với cùng kỳ */
    ok = hp && he && xa_vnum_ratio(&est, &prev, 6, &r) == 0;
    check_derived(l, where, "So với cùng kỳ", "Compared with last year", b->vs_prev, &r, ok,
                  hp ? "Ước thực hiện không phải là số" : "thiếu KQ thực hiện 6 tháng năm trước",
                  hp ? "the estimate is not a number" : "last year's figure is missing", 0);
    ok = hpl && he && xa_vnum_ratio(&est, &plan, 6, &r) == 0;
    check_derived(l, where, "So với kế hoạch", "Compared with the plan", b->vs_plan, &r, ok,
                  hpl ? "Ước thực hiện không phải là số" : "KH năm không phải là số",
                  hpl ? "the estimate is not a number" : "the plan is not a number", 0);
    ok = hpl && he && xa_vnum_sub(&plan, &est, &r) == 0;
    check_derived(l, where, "Còn phải thực hiện", "Still to do", b->remain, &r, ok,
                  "thiếu KH hoặc Ước thực hiện", "the plan or the estimate is missing", 1);
    /* a percentage over 100 in every column is not a percentage */
    xa_vnum hundred = {100, 0, 0};
    if (strcmp(b->unit, "%") == 0 &&
        ((hp && xa_vnum_cmp(&prev, &hundred) > 0) || (hpl && xa_vnum_cmp(&plan, &hundred) > 0))) {
        snprintf(vi, sizeof(vi),
                 "đơn vị tính là %% nhưng số liệu (%s; %s) lớn hơn 100: đơn vị sai?", b->prev,
                 b->plan);
        snprintf(en, sizeof(en), "the unit is %% but the figures (%s; %s) exceed 100: wrong unit?",
                 b->prev, b->plan);
        add(l, where, vi, en);
    }
    /* missing figures, unless they come at year end */
    if (!year_end && !he) {
        snprintf(vi, sizeof(vi), "thiếu Ước thực hiện (không ghi \"%s\")", YEAR_END);
        snprintf(en, sizeof(en),
                 "the estimate is missing (not marked \"%s\": to be evaluated"
                 " at year end)",
                 YEAR_END);
        add(l, where, vi, en);
    }
    if (!year_end && b->plan[0] == '\0') {
        snprintf(vi, sizeof(vi), "thiếu KH năm");
        snprintf(en, sizeof(en), "the year's plan is missing");
        add(l, where, vi, en);
    }
}

/* "(11 chỉ tiêu)" in a group row: its count of numbered rows. */
static void check_group_count(flist *l, const xa_report *r, size_t gi)
{
    const xa_block *g = &r->b[gi];
    const char *p = strstr(g->name, " chỉ tiêu)");
    char where[64], vi[256], en[256];
    long stated, got = 0;

    if (p == NULL)
        return;
    while (p > g->name && p[-1] >= '0' && p[-1] <= '9')
        p--;
    stated = strtol(p, NULL, 10);
    for (size_t i = gi + 1; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted || strcmp(b->kind, "row") != 0 || strcmp(b->table, g->table) != 0)
            continue;
        if (is_roman(b->tt))
            break;
        if (b->tt[0] >= '0' && b->tt[0] <= '9')
            got++;
    }
    if (got != stated) {
        snprintf(where, sizeof(where), "ind/%s", g->tt);
        snprintf(vi, sizeof(vi), "nhóm ghi %ld chỉ tiêu nhưng có %ld", stated, got);
        snprintf(en, sizeof(en), "the group states %ld indicators but holds %ld", stated, got);
        add(l, where, vi, en);
    }
}

/* A row "Cơ cấu …" whose "-" sub-rows are shares: they add up to 100. */
static void check_shares(flist *l, const xa_report *r, size_t ri)
{
    const xa_block *row = &r->b[ri];
    const char *cols[] = {"plan", "est"};
    char where[64], vi[256], en[256];

    if (strncmp(row->name, "Cơ cấu", strlen("Cơ cấu")) != 0)
        return;
    for (int c = 0; c < 2; c++) {
        xa_vnum sum = {0, 0, 0}, v, hundred = {100, 0, 0};
        int n = 0;
        for (size_t i = ri + 1; i < r->n; i++) {
            const xa_block *b = &r->b[i];
            if (b->deleted || strcmp(b->kind, "row") != 0)
                continue;
            if (strcmp(b->tt, "-") != 0)
                break;
            const char *s = c ? b->est : b->plan;
            if (num(s, &v)) {
                xa_vnum t;
                xa_vnum_add(&sum, &v, &t);
                sum = t;
                n++;
            }
        }
        if (n > 1 && xa_vnum_cmp(&sum, &hundred) != 0) {
            char s[48];
            xa_vnum_format(&sum, s, sizeof(s));
            snprintf(where, sizeof(where), "ind/%s/%s", row->tt, cols[c]);
            snprintf(vi, sizeof(vi), "các thành phần cơ cấu cộng lại %s%%, không phải 100%%", s);
            snprintf(en, sizeof(en), "the shares add up to %s%%, not 100%%", s);
            add(l, where, vi, en);
        }
    }
}

/* Find "N <word>" in text: the number before a word such as "suất". */
static int number_before(const char *text, const char *word, xa_vnum *out)
{
    const char *p = strstr(text, word);
    char buf[48];
    const char *e, *s;

    if (p == NULL || p == text)
        return 0;
    e = p - 1;
    while (e > text && *e == ' ')
        e--;
    s = e;
    while (s > text && ((s[-1] >= '0' && s[-1] <= '9') || s[-1] == '.' || s[-1] == ','))
        s--;
    if (e < s || (size_t)(e - s + 1) >= sizeof(buf))
        return 0;
    memcpy(buf, s, (size_t)(e - s + 1));
    buf[e - s + 1] = '\0';
    return xa_vnum_parse(buf, out) == 0;
}

/* A paragraph stating a total ("Tổng …: 780 suất trị giá 310.800.000 đồng")
 * followed by bullets each with their part: the parts add up. */
static void check_stated_totals(flist *l, const xa_report *r, size_t pi)
{
    const xa_block *p = &r->b[pi];
    const char *units[] = {"suất", "đồng"};

    if (strstr(p->text, "Tổng") == NULL)
        return;
    for (int u = 0; u < 2; u++) {
        xa_vnum total, sum = {0, 0, 0}, v;
        int n = 0;
        if (!number_before(p->text, units[u], &total))
            continue;
        for (size_t i = pi + 1; i < r->n; i++) {
            const xa_block *b = &r->b[i];
            if (b->deleted)
                continue;
            if (strcmp(b->kind, "bullet") != 0)
                break;
            if (number_before(b->text, units[u], &v)) {
                xa_vnum t;
                xa_vnum_add(&sum, &v, &t);
                sum = t;
                n++;
            }
        }
        if (n > 1 && xa_vnum_cmp(&sum, &total) != 0) {
            char where[64], vi[256], en[256], a[48], b[48];
            xa_vnum_format(&total, a, sizeof(a));
            xa_vnum_format(&sum, b, sizeof(b));
            snprintf(where, sizeof(where), "b/%s", p->id);
            snprintf(vi, sizeof(vi), "tổng ghi %s %s nhưng các mục cộng lại %s", a, units[u], b);
            snprintf(en, sizeof(en), "the total reads %s %s but the items add up to %s", a,
                     units[u], b);
            add(l, where, vi, en);
        }
    }
}

int xa_report_check(const xa_report *r, xa_finding **out, size_t *n)
{
    flist l = {NULL, 0, 0};
    int year_end = 0;

    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted)
            continue;
        if (strcmp(b->kind, "row") == 0) {
            if (is_roman(b->tt)) {
                check_group_count(&l, r, i);
                continue;
            }
            /* a numbered row's mark covers its "-" sub-rows */
            if (strcmp(b->tt, "-") != 0)
                year_end = strstr(b->note, YEAR_END) != NULL;
            check_row(&l, b, year_end || strstr(b->note, YEAR_END) != NULL);
            check_shares(&l, r, i);
        } else if (strcmp(b->kind, "para") == 0) {
            check_stated_totals(&l, r, i);
        }
    }
    if (l.failed) {
        xa_findings_free(l.f, l.n);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = l.f;
    *n = l.n;
    return 0;
}
