/*
 * `report check` (report.h): what a district clerk who reads thirty of these
 * reports twice a year catches.  Every finding has a stable code, a
 * severity, where it is (a cell path "ind/5/vs_plan", or a block and its
 * sentence "b/0042#2"), its words in Vietnamese and English, and the
 * computed fix where there is one (`report fix` applies it as an edit):
 *
 *   table.ratio        so với cùng kỳ / so với kế hoạch printed ≠ recomputed  (fix)
 *   table.remain       còn phải thực hiện printed ≠ plan − estimate           (fix)
 *   table.rounding     còn phải thực hiện printed coarser than its data       (fix)
 *   table.ratio.base   a ratio printed whose base is not a number
 *   table.prev.missing no figure for last year, yet a ratio is printed
 *   table.missing      an estimate or plan missing, not marked for year end
 *                      (a text cell, "7/7", "Đạt", is not missing)
 *   unit.mismatch      % on figures over 100 (a share, coverage, or money;
 *                      a ratio "so với …", a growth rate may exceed 100), %
 *                      on "6/6" or "đạt", "xã" on figures other than 0 or 1
 *   group.count        "(N chỉ tiêu)" in any spelling ≠ the rows         (fix)
 *   shares.sum         the "-" shares of "Cơ cấu …" do not add up to 100
 *   total.mismatch     "Tổng …: N suất … T đồng" ≠ its items, which count
 *                      what follows "=" in "N suất x M đồng = T đồng",
 *                      with or without "triệu"                            (fix)
 *   prose.arith        arithmetic written out ("3.222/3.353 = 96,1%",
 *                      "85 suất x 300.000 đồng = …", "từ 3,32 giảm còn
 *                      1,53" against "giảm 1,73")                         (fix)
 *   prose.mismatch     one quantity, two figures: a sentence against the
 *                      table (fix), a ratio's numerator against the figure
 *                      stated before it, the poverty rate in two places
 *
 * The derived columns are computed exactly (xa_vnum) and compared at the
 * printed precision.  Invariants: check reads only; it never writes.
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

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A new finding; NULL when out of memory (l->failed is then set).  The
 * pointer is good until the next add. */
static xa_finding *add(flist *l,
                       const char *code,
                       const char *severity,
                       const char *where,
                       const char *vi,
                       const char *en)
{
    xa_finding *f = realloc(l->f, (l->n + 1) * sizeof(*f));

    if (f == NULL) {
        l->failed = 1;
        return NULL;
    }
    l->f = f;
    f = &l->f[l->n];
    memset(f, 0, sizeof(*f));
    snprintf(f->code, sizeof(f->code), "%s", code);
    snprintf(f->severity, sizeof(f->severity), "%s", severity);
    f->where = sdup(where);
    f->vi = sdup(vi);
    f->en = sdup(en);
    if (!f->where || !f->vi || !f->en) {
        free(f->where);
        free(f->vi);
        free(f->en);
        l->failed = 1;
        return NULL;
    }
    l->n++;
    return f;
}

static void set_fix(flist *l, xa_finding *f, const char *path, const char *value)
{
    if (f == NULL)
        return;
    f->fix_path = sdup(path);
    f->fix_value = sdup(value);
    if (!f->fix_path || !f->fix_value)
        l->failed = 1;
}

static void set_excerpt(flist *l, xa_finding *f, const char *s, size_t n)
{
    if (f == NULL)
        return;
    f->excerpt = malloc(n + 1);
    if (f->excerpt == NULL) {
        l->failed = 1;
        return;
    }
    memcpy(f->excerpt, s, n);
    f->excerpt[n] = '\0';
}

void xa_findings_free(xa_finding *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].where);
        free(f[i].vi);
        free(f[i].en);
        free(f[i].excerpt);
        free(f[i].fix_path);
        free(f[i].fix_value);
    }
    free(f);
}

/* ---- words ---------------------------------------------------------------- */

/* s contains w, ASCII letters compared without case (Vietnamese letters as
 * written: the words looked for start in ASCII or are lowercase). */
static const char *find_ci(const char *s, const char *w)
{
    size_t n = strlen(w);

    for (const char *p = s; *p; p++) {
        size_t k = 0;
        while (k < n && p[k]) {
            char a = p[k], b = w[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
            k++;
        }
        if (k == n)
            return p;
    }
    return NULL;
}

static int has_any(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (find_ci(s, words[i]))
            return 1;
    return 0;
}

/* ---- the table -------------------------------------------------------------- */

/* Compare a printed derived figure with the exact value. */
static void check_derived(flist *l,
                          const char *where,
                          const char *col,
                          const char *label_vi,
                          const char *label_en,
                          const char *printed,
                          const xa_vnum *exact,
                          int exact_ok,
                          const char *why_vi,
                          const char *why_en,
                          int exact_figure)
{
    char vi[512], en[512], want[48], w[96], path[96];
    xa_vnum p, r;
    xa_finding *f;

    if (printed[0] == '\0' || strcmp(printed, "=") == 0)
        return;
    snprintf(w, sizeof(w), "%s/%s", where, col);
    if (!exact_ok) {
        snprintf(vi, sizeof(vi), "%s in \"%s\" nhưng không tính được: %s", label_vi, printed,
                 why_vi);
        snprintf(en, sizeof(en), "%s printed as \"%s\" but it cannot be computed: %s", label_en,
                 printed, why_en);
        add(l, "table.ratio.base", "warning", w, vi, en);
        return;
    }
    if (!num(printed, &p)) {
        snprintf(vi, sizeof(vi), "%s \"%s\" không phải là số", label_vi, printed);
        snprintf(en, sizeof(en), "%s \"%s\" is not a number", label_en, printed);
        add(l, exact_figure ? "table.remain" : "table.ratio", "error", w, vi, en);
        return;
    }
    xa_vnum_round(exact, p.scale, &r);
    xa_vnum_format(exact, want, sizeof(want));
    snprintf(path, sizeof(path), "%s", w);
    if (xa_vnum_cmp(&r, &p) != 0) {
        char rw[48];
        xa_vnum_round(exact,
                      exact_figure ? (p.scale > exact->scale ? p.scale : exact->scale)
                                   : (p.scale > 1 ? p.scale : 1),
                      &r);
        xa_vnum_format(&r, rw, sizeof(rw));
        snprintf(vi, sizeof(vi), "%s ghi %s, tính lại được %s", label_vi, printed, rw);
        snprintf(en, sizeof(en), "%s reads %s, recomputed %s", label_en, printed, rw);
        f = add(l, exact_figure ? "table.remain" : "table.ratio", "error", w, vi, en);
        set_fix(l, f, path, rw);
    } else if (exact_figure && p.scale < exact->scale && xa_vnum_cmp(&p, exact) != 0) {
        /* a difference of figures is exact: printing it coarser loses data
         * (ratios are rounded to one decimal by custom, and are not) */
        snprintf(vi, sizeof(vi), "%s ghi %s, làm tròn từ %s (các dòng khác giữ số lẻ)", label_vi,
                 printed, want);
        snprintf(en, sizeof(en), "%s reads %s, rounded from %s (other rows keep decimals)",
                 label_en, printed, want);
        f = add(l, "table.rounding", "error", w, vi, en);
        set_fix(l, f, path, want);
    }
}

/* "6/6", "Đạt", "đạt": a cell that says something other than a figure. */
static int text_figure(const char *s)
{
    xa_vnum v;

    return s[0] && !num(s, &v);
}

static int fraction_or_done(const char *s)
{
    const char *slash = strchr(s, '/');

    if (slash && slash > s && slash[-1] >= '0' && slash[-1] <= '9' && slash[1] >= '0' &&
        slash[1] <= '9')
        return 1;
    return !strchr(s, '%') && (find_ci(s, "đạt") || find_ci(s, "Đạt") || find_ci(s, "ĐẠT"));
}

static void check_units(flist *l, const xa_block *b, const char *where)
{
    static const char *const growth[] = {"so với", "tốc độ", "Tốc độ",     "chỉ số",     "Chỉ số",
                                         "tăng",   "vượt",   "hoàn thành", "Hoàn thành", NULL};
    static const char *const money[] = {"ngân sách", "Thu ",    "Chi ",    "vốn",
                                        "Vốn",       "giá trị", "Giá trị", "thu nhập",
                                        "Thu nhập",  "đồng",    NULL};
    static const char *const share[] = {"Tỷ lệ",    "tỷ lệ",    "Tỉ lệ",   "Cơ cấu", "cơ cấu",
                                        "tỷ trọng", "Tỷ trọng", "bao phủ", NULL};
    const char *cells[3] = {b->prev, b->plan, b->est};
    xa_vnum v, hundred = {100, 0, 0}, one = {1, 0, 0}, zero = {0, 0, 0};
    char vi[512], en[512], w[96];
    int over = 0, text = -1, big = 0;

    snprintf(w, sizeof(w), "%s/unit", where);
    for (int k = 0; k < 3; k++) {
        if (num(cells[k], &v)) {
            over |= xa_vnum_cmp(&v, &hundred) > 0;
            big |= xa_vnum_cmp(&v, &one) != 0 && xa_vnum_cmp(&v, &zero) != 0;
        } else if (text < 0 && cells[k][0] && fraction_or_done(cells[k])) {
            text = k;
        }
    }
    if (strcmp(b->unit, "%") == 0) {
        if (over && !has_any(b->name, growth)) {
            int sh = has_any(b->name, share) && !has_any(b->name, money);
            snprintf(vi, sizeof(vi),
                     sh ? "đơn vị tính là %% nhưng số liệu (%s; %s; %s) lớn hơn 100: tỷ lệ, độ bao "
                          "phủ không thể quá 100%%"
                        : "đơn vị tính là %% nhưng số liệu (%s; %s; %s) lớn hơn 100: đơn vị sai?",
                     b->prev, b->plan, b->est);
            snprintf(en, sizeof(en),
                     sh ? "the unit is %% but the figures (%s; %s; %s) exceed 100: a share or "
                          "coverage cannot exceed 100%%, wrong unit?"
                        : "the unit is %% but the figures (%s; %s; %s) exceed 100: wrong unit?",
                     b->prev, b->plan, b->est);
            add(l, "unit.mismatch", "warning", w, vi, en);
        } else if (text >= 0) {
            snprintf(vi, sizeof(vi), "đơn vị tính là %% nhưng dòng ghi \"%s\", không phải tỷ lệ",
                     cells[text]);
            snprintf(en, sizeof(en), "the unit is %% but the row reads \"%s\", not a percentage",
                     cells[text]);
            add(l, "unit.mismatch", "warning", w, vi, en);
        }
    } else if ((strcmp(b->unit, "xã") == 0 || strcmp(b->unit, "Xã") == 0) && big) {
        snprintf(
            vi, sizeof(vi),
            "đơn vị tính là xã (một xã chỉ có 0 hoặc 1) nhưng số liệu là %s; %s; %s: tỷ lệ %%?",
            b->prev, b->plan, b->est);
        snprintf(en, sizeof(en),
                 "the unit is xã (a commune counts 0 or 1) but the figures read %s; %s; %s: a "
                 "percentage?",
                 b->prev, b->plan, b->est);
        add(l, "unit.mismatch", "warning", w, vi, en);
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
    char where[64], w[96], vi[512], en[512];
    xa_vnum prev, plan, est, r;
    int hp = num(b->prev, &prev), hpl = num(b->plan, &plan), he = num(b->est, &est);
    int pr_prev = b->vs_prev[0] && strcmp(b->vs_prev, "=") != 0;
    int pr_plan = b->vs_plan[0] && strcmp(b->vs_plan, "=") != 0;
    int ok, prev_told = 0;

    snprintf(where, sizeof(where), "ind/%s", b->tt[0] ? b->tt : b->id);
    /* a ratio printed, and no figure for the same period last year */
    if (!year_end && b->prev[0] == '\0' && he && (pr_prev || pr_plan)) {
        snprintf(w, sizeof(w), "%s/prev", where);
        snprintf(vi, sizeof(vi),
                 "thiếu KQ thực hiện cùng kỳ năm trước, trong khi dòng có tỷ lệ so sánh (%s%s%s)",
                 pr_prev ? b->vs_prev : "", pr_prev && pr_plan ? "; " : "",
                 pr_plan ? b->vs_plan : "");
        snprintf(
            en, sizeof(en), "last year's figure is missing, yet the row prints a ratio (%s%s%s)",
            pr_prev ? b->vs_prev : "", pr_prev && pr_plan ? "; " : "", pr_plan ? b->vs_plan : "");
        add(l, "table.prev.missing", "warning", w, vi, en);
        prev_told = 1;
    }
    /* so với cùng kỳ */
    ok = hp && he && xa_vnum_ratio(&est, &prev, 6, &r) == 0;
    if (!(prev_told && b->prev[0] == '\0'))
        check_derived(l, where, "vs_prev", "So với cùng kỳ", "Compared with last year", b->vs_prev,
                      &r, ok,
                      hp ? "Ước thực hiện không phải là số" : "thiếu KQ thực hiện năm trước",
                      hp ? "the estimate is not a number" : "last year's figure is missing", 0);
    ok = hpl && he && xa_vnum_ratio(&est, &plan, 6, &r) == 0;
    check_derived(l, where, "vs_plan", "So với kế hoạch", "Compared with the plan", b->vs_plan, &r,
                  ok, hpl ? "Ước thực hiện không phải là số" : "KH năm không phải là số",
                  hpl ? "the estimate is not a number" : "the plan is not a number", 0);
    ok = hpl && he && xa_vnum_sub(&plan, &est, &r) == 0;
    check_derived(l, where, "remain", "Còn phải thực hiện", "Still to do", b->remain, &r, ok,
                  "thiếu KH hoặc Ước thực hiện", "the plan or the estimate is missing", 1);
    check_units(l, b, where);
    /* missing figures, unless they come at year end; a text cell ("7/7",
     * "Đạt") is there */
    if (!year_end && b->est[0] == '\0') {
        snprintf(w, sizeof(w), "%s/est", where);
        snprintf(vi, sizeof(vi), "thiếu Ước thực hiện (không ghi \"%s\")", YEAR_END);
        snprintf(en, sizeof(en),
                 "the estimate is missing (not marked \"%s\": to be evaluated at year end)",
                 YEAR_END);
        add(l, "table.missing", "warning", w, vi, en);
    }
    if (!year_end && b->plan[0] == '\0') {
        snprintf(w, sizeof(w), "%s/plan", where);
        add(l, "table.missing", "warning", w, "thiếu KH năm", "the year's plan is missing");
    }
    (void)text_figure;
}

/* The count a group row states, in any spelling: "(11 chỉ tiêu)",
 * "(12 Chỉ tiêu )", "(10 CHỈ TIÊU)", "- 2 chỉ tiêu", "(3 CT)".  Returns the
 * number's offset and length in the name, or -1. */
static int stated_count(const char *name, long *count, size_t *len)
{
    static const char *const words[] = {"chỉ tiêu", "Chỉ tiêu", "CHỈ TIÊU", "Chỉ Tiêu", "chỉ Tiêu",
                                        "CT)",      "ct)",      "CT ",      NULL};

    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9' || (p > name && p[-1] >= '0' && p[-1] <= '9'))
            continue;
        const char *e = p;
        while (*e >= '0' && *e <= '9')
            e++;
        const char *q = e;
        while (*q == ' ')
            q++;
        for (size_t k = 0; words[k]; k++)
            if (strncmp(q, words[k], strlen(words[k])) == 0) {
                *count = strtol(p, NULL, 10);
                *len = (size_t)(e - p);
                return (int)(p - name);
            }
    }
    return -1;
}

static void check_group_count(flist *l, const xa_report *r, size_t gi)
{
    const xa_block *g = &r->b[gi];
    char where[64], vi[256], en[256], fix[1024];
    long stated, got = 0;
    size_t nl;
    int at = stated_count(g->name, &stated, &nl);

    if (at < 0)
        return;
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
        xa_finding *f;
        snprintf(where, sizeof(where), "ind/%s/name", g->tt);
        snprintf(vi, sizeof(vi), "nhóm ghi %ld chỉ tiêu nhưng có %ld", stated, got);
        snprintf(en, sizeof(en), "the group states %ld indicators but holds %ld", stated, got);
        f = add(l, "group.count", "error", where, vi, en);
        snprintf(fix, sizeof(fix), "%.*s%ld%s", at, g->name, got, g->name + at + nl);
        set_fix(l, f, where, fix);
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
            add(l, "shares.sum", "error", where, vi, en);
        }
    }
}

/* ---- figures in the prose ------------------------------------------------ */

static const char *skip_sp(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* A number as written in a sentence, and the words that follow it. */
typedef struct ntok {
    size_t at, len;   /* the number as written */
    size_t end;       /* after its unit words */
    xa_vnum v;        /* as written */
    long double val;  /* with its multiplier (triệu, tỷ, nghìn) */
    long double mult; /* 1, 1e3, 1e6, 1e9 */
    int pct;
    char unit[32]; /* the word after it ("suất", "đồng", "người", "tấn", …), "" if none */
} ntok;

#define MAXTOK 256

static int is_letter_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* The next word at s (letters and '.'), copied into w; returns its end. */
static const char *next_word(const char *s, char *w, size_t cap)
{
    size_t n = 0;

    while (*s == ' ')
        s++;
    while (*s && (is_letter_byte((unsigned char)*s) || *s == '.') && n + 1 < cap) {
        w[n++] = *s++;
    }
    while (n && w[n - 1] == '.') {
        n--;
        s--;
    }
    w[n] = '\0';
    return s;
}

static long double ldpow10(int k)
{
    long double x = 1;

    while (k-- > 0)
        x *= 10;
    return x;
}

static int tokenize(const char *t, ntok *tok, int max)
{
    int n = 0;

    for (size_t i = 0; t[i] && n < max;) {
        unsigned char c = (unsigned char)t[i];
        if (c < '0' || c > '9' ||
            (i > 0 &&
             (is_letter_byte((unsigned char)t[i - 1]) || (t[i - 1] >= '0' && t[i - 1] <= '9')))) {
            i++;
            continue;
        }
        size_t e = i;
        while ((t[e] >= '0' && t[e] <= '9') ||
               ((t[e] == '.' || t[e] == ',') && t[e + 1] >= '0' && t[e + 1] <= '9'))
            e++;
        char buf[48];
        ntok *k = &tok[n];
        memset(k, 0, sizeof(*k));
        if (e - i >= sizeof(buf) || (t[e] == '/' && i > 0 && t[i - 1] == '/')) {
            i = e;
            continue;
        }
        memcpy(buf, t + i, e - i);
        buf[e - i] = '\0';
        if (xa_vnum_parse(buf, &k->v) < 0) {
            i = e;
            continue;
        }
        k->at = i;
        k->len = e - i;
        k->mult = 1;
        const char *p = t + e;
        while (*p == ' ')
            p++;
        if (*p == '%' || (p[0] == '\\' && p[1] == '%')) {
            k->pct = 1; /* "96,1%", or "96,1\%" as a formula editor writes it */
            p += *p == '%' ? 1 : 2;
        }
        char w[32];
        const char *q = next_word(p, w, sizeof(w));
        if (!k->pct && (strcmp(w, "triệu") == 0 || strcmp(w, "tỷ") == 0 ||
                        strcmp(w, "nghìn") == 0 || strcmp(w, "ngàn") == 0)) {
            k->mult = w[0] == 't' && w[1] == 'r' ? 1e6L : strcmp(w, "tỷ") == 0 ? 1e9L : 1e3L;
            p = q;
            q = next_word(p, w, sizeof(w));
        }
        if (!k->pct && w[0]) {
            snprintf(k->unit, sizeof(k->unit), "%s", w);
            p = q;
        }
        k->end = (size_t)(p - t);
        k->val = (long double)k->v.units / ldpow10(k->v.scale) * k->mult;
        n++;
        i = e;
    }
    return n;
}

/* The sentence number (1-based) of a byte offset: sentences end at ". "
 * and "; ". */
static int sentence_of(const char *t, size_t at)
{
    int s = 1;

    for (size_t i = 0; i + 1 < at; i++)
        if ((t[i] == '.' || t[i] == ';') && t[i + 1] == ' ')
            s++;
    return s;
}

static void where_sentence(char *w, size_t cap, const xa_block *b, const char *t, size_t at)
{
    snprintf(w, cap, "b/%s#%d", b->id, sentence_of(t, at));
}

/* A value as the sentence would write it: `scale` decimals, divided by its
 * multiplier. */
static void fmt_ld(long double v, long double mult, int scale, char *out, size_t cap)
{
    long double x = v / mult * ldpow10(scale);
    long long u = (long long)(x < 0 ? x - 0.5L : x + 0.5L);
    xa_vnum n = {u, scale, 0};

    if (xa_vnum_format(&n, out, cap) < 0)
        snprintf(out, cap, "?");
}

/* The text with [at, at+len) replaced by `by`, malloc'd. */
static char *replaced(const char *t, size_t at, size_t len, const char *by)
{
    size_t n = strlen(t), bl = strlen(by);
    char *s = malloc(n - len + bl + 1);

    if (s) {
        memcpy(s, t, at);
        memcpy(s + at, by, bl);
        memcpy(s + at + bl, t + at + len, n - at - len + 1);
    }
    return s;
}

/* Arithmetic written out: "3.222/3.353 = 96,1%", "85 suất x 300.000 đồng =
 * 25.500.000 đồng", "3,32 − 1,53 = 1,79".  The operators between two numbers
 * (and their units) are / : x × * + - − –. */
static int op_between(const char *t, size_t a, size_t b, char *op)
{
    static const struct {
        const char *s;
        char op;
    } ops[] = {{"/", '/'}, {":", '/'}, {"x", '*'}, {"X", '*'}, {"×", '*'}, {"*", '*'},
               {"+", '+'}, {"-", '-'}, {"−", '-'}, {"–", '-'}, {"=", '='}};
    while (a < b && t[a] == ' ')
        a++;
    while (b > a && t[b - 1] == ' ')
        b--;
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        if (b - a == strlen(ops[k].s) && strncmp(t + a, ops[k].s, b - a) == 0) {
            *op = ops[k].op;
            return 1;
        }
    return 0;
}

typedef struct expr {
    int first, last; /* token indices; last is the result */
    int has_div;
    long double value;
} expr;

/* Expressions of a text, evaluated (× and / before + and −). */
static int expressions(const char *t, const ntok *tok, int n, expr *out, int max)
{
    int ne = 0;

    for (int k = 0; k + 1 < n && ne < max; k++) {
        char ops[16];
        int no = 0, j = k, ok = 0;
        while (j + 1 < n && no < 15) {
            char op;
            /* units may come between a number and its operator */
            if (!op_between(t, tok[j].end, tok[j + 1].at, &op) &&
                !op_between(t, tok[j].at + tok[j].len + (tok[j].pct ? 1 : 0), tok[j + 1].at, &op))
                break;
            ops[no++] = op;
            j++;
            if (op == '=') {
                ok = no > 1;
                break;
            }
        }
        if (!ok)
            continue;
        /* evaluate tok[k..j-1] with ops[0..no-2]; tok[j] is the result */
        long double terms[16], acc;
        char tops[16];
        int nt = 0, div = 0;
        acc = tok[k].val;
        for (int q = 0; q < no - 1; q++) {
            long double v = tok[k + q + 1].val;
            if (ops[q] == '*')
                acc *= v;
            else if (ops[q] == '/') {
                if (v == 0) {
                    ok = 0;
                    break;
                }
                acc /= v;
                div = 1;
            } else {
                terms[nt] = acc;
                tops[nt++] = ops[q];
                acc = v;
            }
        }
        if (!ok)
            continue;
        long double sum = nt ? terms[0] : acc;
        for (int q = 0; q < nt; q++) {
            long double rhs = q + 1 < nt ? terms[q + 1] : acc;
            sum = tops[q] == '+' ? sum + rhs : sum - rhs;
        }
        if (nt == 0)
            sum = acc;
        if (div && tok[j].pct)
            sum *= 100;
        out[ne].first = k;
        out[ne].last = j;
        out[ne].has_div = div;
        out[ne].value = sum;
        ne++;
        k = j; /* the result may start the next one */
        k--;
        k++;
    }
    return ne;
}

static int same_at_scale(long double computed, const ntok *r)
{
    long double half = 0.5L / ldpow10(r->v.scale) * r->mult;
    long double d = computed - r->val;

    if (d < 0)
        d = -d;
    return d <= half * (1 + 1e-12L) + 1e-9L;
}

static void check_arith(flist *l, const xa_block *b, const char *t, const ntok *tok, int n)
{
    expr ex[32];
    int ne = expressions(t, tok, n, ex, 32);

    for (int e = 0; e < ne; e++) {
        const ntok *r = &tok[ex[e].last];
        char got[48], w[96], vi[700], en[700];
        size_t from = tok[ex[e].first].at, to = r->at + r->len + (r->pct ? 1 : 0);
        xa_finding *f;
        char *fix;
        if (same_at_scale(ex[e].value, r))
            continue;
        fmt_ld(ex[e].value, r->mult, r->v.scale, got, sizeof(got));
        where_sentence(w, sizeof(w), b, t, from);
        snprintf(vi, sizeof(vi), "phép tính \"%.*s\" sai: kết quả đúng là %s", (int)(to - from),
                 t + from, got);
        snprintf(en, sizeof(en), "the arithmetic \"%.*s\" is wrong: it gives %s", (int)(to - from),
                 t + from, got);
        f = add(l, "prose.arith", "error", w, vi, en);
        set_excerpt(l, f, t + from, to - from);
        fix = replaced(t, r->at, r->len, got);
        if (fix) {
            char path[64];
            snprintf(path, sizeof(path), "b/%s", b->id);
            set_fix(l, f, path, fix);
            free(fix);
        }
    }
}

/* Is token k the result or an operand of an expression? */
static int in_expr(const expr *ex, int ne, int k)
{
    for (int e = 0; e < ne; e++)
        if (k >= ex[e].first && k <= ex[e].last)
            return 1;
    return 0;
}

/* Words of t[a, b) (lowercase ASCII), for comparing two clauses. */
static int clause_words(const char *t, size_t a, size_t b, char w[][24], int max)
{
    int n = 0;
    size_t i = a;

    while (i < b && n < max) {
        while (i < b && !is_letter_byte((unsigned char)t[i]))
            i++;
        size_t s = i;
        while (i < b && is_letter_byte((unsigned char)t[i]))
            i++;
        if (i > s && i - s < 24) {
            size_t k;
            for (k = 0; k < i - s; k++) {
                char c = t[s + k];
                w[n][k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            w[n][k] = '\0';
            int dup = 0;
            for (int q = 0; q < n; q++)
                dup |= strcmp(w[q], w[n]) == 0;
            if (!dup && strcmp(w[n], "là") != 0 && strcmp(w[n], "và") != 0 &&
                strcmp(w[n], "của") != 0)
                n++;
        }
    }
    return n;
}

static int overlap(char a[][24], int na, char b[][24], int nb)
{
    int c = 0;

    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (strcmp(a[i], b[j]) == 0) {
                c++;
                break;
            }
    return c;
}

/* The clause a number closes: back to the last ',', ';', ':' or the start. */
static size_t clause_start(const char *t, size_t at)
{
    while (at > 0 && t[at - 1] != ',' && t[at - 1] != ';' && t[at - 1] != ':' &&
           !(t[at - 1] == ' ' && at > 1 && t[at - 2] == '.'))
        at--;
    return at;
}

/* "A/B = R%": a ratio whose numerator the paragraph states nowhere, while
 * it states another figure of the same kind, in words that match the
 * ratio's: "số người có việc làm … là 2.685 người; Tỷ lệ người có việc làm
 * …: 3.222/3.353 = 96,1%". */
static void check_ratio_inputs(flist *l, const xa_block *b, const char *t, const ntok *tok, int n)
{
    expr ex[32];
    int ne = expressions(t, tok, n, ex, 32);

    for (int e = 0; e < ne; e++) {
        int a = ex[e].first, d = a + 1, stated_a = 0, stated_d = -1;
        if (!ex[e].has_div || ex[e].last != a + 2)
            continue;
        for (int k = 0; k < n; k++) {
            if (k == a || k == d || in_expr(ex, ne, k))
                continue;
            if (xa_vnum_cmp(&tok[k].v, &tok[a].v) == 0)
                stated_a = 1;
            if (xa_vnum_cmp(&tok[k].v, &tok[d].v) == 0 && tok[k].unit[0])
                stated_d = k;
        }
        if (stated_a || stated_d < 0)
            continue;
        char lw[64][24], cw[64][24];
        size_t ls = clause_start(t, tok[a].at);
        /* the ratio's label: what precedes it, back to the ';' */
        while (ls > 0 && t[ls - 1] == ':') {
            ls--;
            ls = clause_start(t, ls);
        }
        int nlw = clause_words(t, ls, tok[a].at, lw, 64);
        int best = -1, bo = 0, second = 0;
        for (int k = 0; k < n; k++) {
            if (k == stated_d || in_expr(ex, ne, k) || strcmp(tok[k].unit, tok[stated_d].unit) != 0)
                continue;
            int ncw = clause_words(t, clause_start(t, tok[k].at), tok[k].at, cw, 64);
            int o = overlap(lw, nlw, cw, ncw);
            if (o > bo) {
                second = bo;
                bo = o;
                best = k;
            } else if (o > second) {
                second = o;
            }
        }
        if (best < 0 || bo < 4 || bo <= second)
            continue;
        char w[96], vi[700], en[700], sa[48], sb[48];
        snprintf(sa, sizeof(sa), "%.*s", (int)tok[a].len, t + tok[a].at);
        snprintf(sb, sizeof(sb), "%.*s", (int)tok[best].len, t + tok[best].at);
        where_sentence(w, sizeof(w), b, t, tok[a].at);
        snprintf(vi, sizeof(vi),
                 "tỷ lệ tính với %s, nhưng báo cáo ghi %s %s (\"%.*s\"): hai con số cho cùng một "
                 "đại lượng",
                 sa, sb, tok[best].unit, (int)(tok[best].at - clause_start(t, tok[best].at)),
                 t + clause_start(t, tok[best].at));
        snprintf(en, sizeof(en),
                 "the ratio is computed with %s, but the report states %s %s (\"%.*s\"): two "
                 "figures for one quantity",
                 sa, sb, tok[best].unit, (int)(tok[best].at - clause_start(t, tok[best].at)),
                 t + clause_start(t, tok[best].at));
        xa_finding *f = add(l, "prose.mismatch", "error", w, vi, en);
        set_excerpt(l, f, t + tok[a].at, tok[ex[e].last].at + tok[ex[e].last].len - tok[a].at);
    }
}

/* A paragraph stating a total ("Tổng …: 780 suất trị giá 310.800.000 đồng")
 * followed by bullets each with their part: the parts add up.  An item
 * "85 suất x 300.000 đồng = 25.500.000 đồng" counts for what follows '='. */
static int money_of(const char *t, const ntok *tok, int n, int *which)
{
    const char *eq = strchr(t, '=');
    int last = -1;

    for (int k = 0; k < n; k++) {
        if (strcmp(tok[k].unit, "đồng") != 0 || tok[k].pct)
            continue;
        if (eq && tok[k].at > (size_t)(eq - t)) {
            *which = k;
            return 1;
        }
        last = k;
    }
    if (last < 0)
        return 0;
    *which = last;
    return 1;
}

static int count_of(const ntok *tok, int n, int *which)
{
    for (int k = 0; k < n; k++)
        if (strcmp(tok[k].unit, "suất") == 0 && !tok[k].pct) {
            *which = k;
            return 1;
        }
    return 0;
}

static void check_stated_totals(flist *l, const xa_report *r, size_t pi)
{
    const xa_block *p = &r->b[pi];
    ntok tt[MAXTOK], it[MAXTOK];
    int n, ti;

    if (strstr(p->text, "Tổng") == NULL && strstr(p->text, "tổng") == NULL)
        return;
    n = tokenize(p->text, tt, MAXTOK);
    for (int u = 0; u < 2; u++) {
        long double sum = 0;
        int items = 0;
        if (!(u == 0 ? count_of(tt, n, &ti) : money_of(p->text, tt, n, &ti)))
            continue;
        if (u == 1) {
            int ci;
            /* the money of the total follows its count */
            if (!count_of(tt, n, &ci) || ti < ci)
                continue;
        }
        for (size_t i = pi + 1; i < r->n; i++) {
            const xa_block *b = &r->b[i];
            int k, m;
            if (b->deleted)
                continue;
            if (strcmp(b->kind, "bullet") != 0)
                break;
            m = tokenize(b->text, it, MAXTOK);
            if (u == 0 ? count_of(it, m, &k) : money_of(b->text, it, m, &k)) {
                sum += it[k].val;
                items++;
            }
        }
        if (items > 1 && !same_at_scale(sum, &tt[ti])) {
            char where[64], vi[512], en[512], a[64], s[48], fixv[48];
            const char *unit = u ? "đồng" : "suất";
            snprintf(a, sizeof(a), "%.*s%s", (int)tt[ti].len, p->text + tt[ti].at,
                     tt[ti].mult == 1e6L   ? " triệu"
                     : tt[ti].mult == 1e9L ? " tỷ"
                                           : "");
            fmt_ld(sum, 1, 0, s, sizeof(s));
            snprintf(where, sizeof(where), "b/%s#%d", p->id, sentence_of(p->text, tt[ti].at));
            snprintf(vi, sizeof(vi), "tổng ghi %s %s nhưng các mục cộng lại %s %s", a, unit, s,
                     unit);
            snprintf(en, sizeof(en), "the total reads %s %s but the items add up to %s %s", a, unit,
                     s, unit);
            xa_finding *f = add(l, "total.mismatch", "error", where, vi, en);
            set_excerpt(l, f, p->text + tt[ti].at, tt[ti].end - tt[ti].at);
            int sc = tt[ti].v.scale;
            if (tt[ti].mult > 1) {
                /* enough decimals for the sum in millions */
                while (
                    sc < 6 &&
                    !same_at_scale(sum, &(ntok){.v = {0, sc, 0}, .mult = tt[ti].mult, .val = sum}))
                    sc++;
            }
            fmt_ld(sum, tt[ti].mult, sc, fixv, sizeof(fixv));
            char *fix = replaced(p->text, tt[ti].at, tt[ti].len, fixv), path[64];
            snprintf(path, sizeof(path), "b/%s", p->id);
            if (fix)
                set_fix(l, f, path, fix);
            free(fix);
        }
    }
}

/* Does a word after a number name the row's unit? */
static int unit_matches(const char *row_unit, const ntok *k)
{
    char u[32];
    size_t n = strlen(row_unit);

    if (n == 0 || n >= sizeof(u) || k->pct)
        return 0;
    for (size_t i = 0; i <= n; i++)
        u[i] = (char)(row_unit[i] >= 'A' && row_unit[i] <= 'Z' ? row_unit[i] + 32 : row_unit[i]);
    if (strcmp(u, "trđ") == 0 || strcmp(u, "tr.đ") == 0 || strcmp(u, "triệu đồng") == 0)
        return k->mult == 1e6L && strcmp(k->unit, "đồng") == 0;
    if (k->mult != 1)
        return 0;
    if (strcmp(u, "dn") == 0)
        return strcmp(k->unit, "doanh") == 0 || strcmp(k->unit, "DN") == 0;
    char w[32];
    size_t m = strlen(k->unit);
    if (m >= sizeof(w))
        return 0;
    for (size_t i = 0; i <= m; i++)
        w[i] = (char)(k->unit[i] >= 'A' && k->unit[i] <= 'Z' ? k->unit[i] + 32 : k->unit[i]);
    return strcmp(u, w) == 0;
}

/* A sentence naming a row of the table and giving its figure: they agree
 * (the figure is the estimate, last year's, or the plan; "bằng X% so với
 * cùng kỳ" is the row's ratio). */
static void check_against_table(
    flist *l, const xa_report *r, const xa_block *b, const char *t, const ntok *tok, int n)
{
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *row = &r->b[i];
        xa_vnum est, prev, plan;
        const char *at;
        int words = 1;
        if (row->deleted || strcmp(row->kind, "row") != 0 || !num(row->est, &est))
            continue;
        for (const char *q = row->name; *q; q++)
            words += *q == ' ';
        if (words < 3 || (at = strstr(t, row->name)) == NULL)
            continue;
        int s = sentence_of(t, (size_t)(at - t));
        int hp = num(row->prev, &prev), hpl = num(row->plan, &plan);
        char d[3][48];
        xa_report_derived(row, d[0], d[1], d[2], sizeof(d[0]));
        for (int k = 0; k < n; k++) {
            const ntok *x = &tok[k];
            char w[96], vi[700], en[700], sx[48];
            if (sentence_of(t, x->at) != s || x->at < (size_t)(at - t))
                continue;
            snprintf(sx, sizeof(sx), "%.*s", (int)x->len, t + x->at);
            where_sentence(w, sizeof(w), b, t, x->at);
            if (unit_matches(row->unit, x)) {
                if (xa_vnum_cmp(&x->v, &est) == 0 || (hp && xa_vnum_cmp(&x->v, &prev) == 0) ||
                    (hpl && xa_vnum_cmp(&x->v, &plan) == 0))
                    continue;
                snprintf(vi, sizeof(vi),
                         "câu ghi %s %s nhưng bảng (dòng %s, %s) ghi ước thực hiện %s", sx,
                         row->unit, row->tt, row->name, row->est);
                snprintf(en, sizeof(en),
                         "the sentence reads %s %s but the table (row %s, %s) has the estimate %s",
                         sx, row->unit, row->tt, row->name, row->est);
                xa_finding *f = add(l, "prose.mismatch", "error", w, vi, en);
                set_excerpt(l, f, t + x->at, x->end - x->at);
                char *fix = replaced(t, x->at, x->len, row->est), path[64];
                snprintf(path, sizeof(path), "b/%s", b->id);
                if (fix)
                    set_fix(l, f, path, fix);
                free(fix);
                continue;
            }
            if (!x->pct)
                continue;
            /* "bằng 95,0% so với cùng kỳ", "đạt 83,2% kế hoạch" */
            const char *after = t + x->at + x->len + 1;
            const char *col = NULL, *printed = NULL;
            if (strncmp(skip_sp(after), "so với cùng kỳ", strlen("so với cùng kỳ")) == 0) {
                col = "so với cùng kỳ";
                printed = d[0];
            } else if (strncmp(skip_sp(after), "kế hoạch", strlen("kế hoạch")) == 0 ||
                       strncmp(skip_sp(after), "so với kế hoạch", strlen("so với kế hoạch")) == 0) {
                col = "so với kế hoạch";
                printed = d[1];
            }
            xa_vnum pv;
            if (col == NULL || !num(printed, &pv) || xa_vnum_cmp(&pv, &x->v) == 0)
                continue;
            snprintf(vi, sizeof(vi), "câu ghi %s%% %s nhưng bảng (dòng %s) ghi %s", sx, col,
                     row->tt, printed);
            snprintf(en, sizeof(en), "the sentence reads %s%% %s but the table (row %s) has %s", sx,
                     col, row->tt, printed);
            xa_finding *f = add(l, "prose.mismatch", "error", w, vi, en);
            set_excerpt(l, f, t + x->at, x->len + 1);
        }
    }
}

/* A rate stated twice ("tỷ lệ hộ nghèo còn 1,59%", "từ 3,32 giảm còn
 * 1,53"), and its fall ("giảm 1,73%"): one figure, and before − after =
 * the fall. */
typedef struct rate_fact {
    const xa_block *b;
    const char *t;
    const ntok *k; /* copied below */
    ntok tok;
} rate_fact;

typedef struct rates {
    rate_fact after[8], before[8], fall[8];
    int na, nb, nf;
} rates;

/* The text just before t[at] ends with `w` (then spaces). */
static int preceded_by(const char *t, size_t at, const char *w)
{
    size_t n = strlen(w);

    while (at > 0 && t[at - 1] == ' ')
        at--;
    return at >= n && strncmp(t + at - n, w, n) == 0 && (at == n || t[at - n - 1] == ' ');
}

static void collect_rates(rates *rs, const xa_block *b, const char *t, const ntok *tok, int n)
{
    for (int k = 0; k < n; k++) {
        size_t at = tok[k].at;
        /* the sentence must be about the poverty rate */
        size_t s0 = at, s1 = at;
        while (s0 > 0 && !((t[s0 - 1] == ' ') && s0 > 1 && (t[s0 - 2] == '.' || t[s0 - 2] == ';')))
            s0--;
        while (t[s1] && !((t[s1] == '.' || t[s1] == ';') && (t[s1 + 1] == ' ' || !t[s1 + 1])))
            s1++;
        char sent[2048];
        snprintf(sent, sizeof(sent), "%.*s", (int)(s1 - s0), t + s0);
        if (strstr(sent, "hộ nghèo") == NULL)
            continue;
        rate_fact f = {b, t, NULL, tok[k]};
        if (preceded_by(t, at, "còn") && rs->na < 8)
            rs->after[rs->na++] = f;
        else if (preceded_by(t, at, "từ") && rs->nb < 8)
            rs->before[rs->nb++] = f;
        else if (preceded_by(t, at, "giảm") && rs->nf < 8)
            rs->fall[rs->nf++] = f;
    }
}

static void check_rates(flist *l, const rates *rs)
{
    char w[96], vi[700], en[700], a[48], b[48], c[48], d[48];

    for (int i = 1; i < rs->na; i++) {
        const rate_fact *x = &rs->after[0], *y = &rs->after[i];
        if (xa_vnum_cmp(&x->tok.v, &y->tok.v) == 0)
            continue;
        snprintf(a, sizeof(a), "%.*s", (int)x->tok.len, x->t + x->tok.at);
        snprintf(b, sizeof(b), "%.*s", (int)y->tok.len, y->t + y->tok.at);
        where_sentence(w, sizeof(w), y->b, y->t, y->tok.at);
        snprintf(vi, sizeof(vi), "tỷ lệ hộ nghèo ghi %s%% ở một chỗ và %s ở chỗ khác", a, b);
        snprintf(en, sizeof(en), "the poverty rate reads %s%% in one place and %s in another", a,
                 b);
        xa_finding *f = add(l, "prose.mismatch", "error", w, vi, en);
        set_excerpt(l, f, y->t + y->tok.at, y->tok.len);
        break;
    }
    if (rs->nb == 0 || rs->nf == 0)
        return;
    const rate_fact *bf = &rs->before[0], *fl = &rs->fall[0];
    for (int i = 0; i < rs->na; i++) {
        const rate_fact *y = &rs->after[i];
        xa_vnum diff;
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= xa_vnum_cmp(&rs->after[j].tok.v, &y->tok.v) == 0;
        if (dup || xa_vnum_sub(&bf->tok.v, &y->tok.v, &diff) < 0 ||
            xa_vnum_cmp(&diff, &fl->tok.v) == 0)
            continue;
        xa_vnum_format(&diff, c, sizeof(c));
        snprintf(a, sizeof(a), "%.*s", (int)bf->tok.len, bf->t + bf->tok.at);
        snprintf(b, sizeof(b), "%.*s", (int)y->tok.len, y->t + y->tok.at);
        snprintf(d, sizeof(d), "%.*s", (int)fl->tok.len, fl->t + fl->tok.at);
        where_sentence(w, sizeof(w), y->b, y->t, y->tok.at);
        snprintf(vi, sizeof(vi), "từ %s còn %s là giảm %s, không phải %s như báo cáo ghi", a, b, c,
                 d);
        snprintf(en, sizeof(en), "from %s down to %s is a fall of %s, not %s as the report says", a,
                 b, c, d);
        xa_finding *f = add(l, "prose.arith", "error", w, vi, en);
        set_excerpt(l, f, y->t + y->tok.at, y->tok.len);
    }
}

int xa_report_check(const xa_report *r, xa_finding **out, size_t *n)
{
    flist l = {NULL, 0, 0};
    int year_end = 0;
    rates rs;
    ntok *tok = malloc(MAXTOK * sizeof(*tok));

    if (tok == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    memset(&rs, 0, sizeof(rs));
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
        } else if (strcmp(b->kind, "para") == 0 || strcmp(b->kind, "bullet") == 0) {
            int nt = tokenize(b->text, tok, MAXTOK);
            if (strcmp(b->kind, "para") == 0)
                check_stated_totals(&l, r, i);
            check_arith(&l, b, b->text, tok, nt);
            check_ratio_inputs(&l, b, b->text, tok, nt);
            check_against_table(&l, r, b, b->text, tok, nt);
            collect_rates(&rs, b, b->text, tok, nt);
        }
    }
    check_rates(&l, &rs);
    free(tok);
    if (l.failed) {
        xa_findings_free(l.f, l.n);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = l.f;
    *n = l.n;
    return 0;
}
