/*
 * The district's rollup (report_rollup.c) as a report, so that it prints
 * in every format a commune's report prints in (html, docx): a header for
 * the district, a paragraph naming the communes that reported and those
 * that have not, and the indicator table with the sums (derived columns
 * computed from them; figures that are not added up left blank with a
 * note).
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/vnum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ROLLUP_HEAD[] =
    "TT\tChỉ tiêu\tĐơn vị tính\tKQ thực hiện cùng kỳ\tKế hoạch năm\tKết quả thực hiện\t\t\t"
    "Còn phải thực hiện\tGhi chú\n"
    "\t\t\t\t\tƯớc thực hiện\tSo với cùng kỳ (%)\tSo với kế hoạch (%)\t\t\n"
    "A\tB\t1\t2\t3\t4\t5=4/2*100\t6=4/3*100\t7=3-4\t8";

static char *dup(const char *s)
{
    return strdup(s ? s : "");
}

static char *sum(int additive, int64_t units, int scale, size_t n)
{
    xa_vnum v = {units, scale, 0};
    char buf[64];

    if (!additive || n == 0 || xa_vnum_format(&v, buf, sizeof(buf)) < 0)
        return dup("");
    return dup(buf);
}

int xa_rollup_report(const xa_rollup *ru, const char *kind, const char *period, xa_report *out)
{
    xa_report r;
    xa_sb para = {0};
    char title[512];

    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "rollup");
    snprintf(title, sizeof(title), "Tổng hợp các chỉ tiêu của các xã: %s, kỳ %s", kind ? kind : "",
             period ? period : "");
    r.kind = dup(kind);
    r.period = dup(period);
    r.number = dup("");
    r.place = dup("");
    r.date = dup("");
    r.doctype = dup("BÁO CÁO");
    r.title = dup(title);
    r.body = dup("UBND HUYỆN");
    r.signer_role = dup("");
    r.signer_name = dup("");
    r.recipients = dup("");
    r.recipients_label = dup("");
    r.n = ru->nrows + 2;
    r.b = calloc(r.n, sizeof(*r.b));
    if (r.b == NULL) {
        xa_report_free(&r);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    xa_sb_printf(&para, "Đã báo cáo: %zu xã", ru->nreported);
    for (size_t i = 0; i < ru->nreported; i++)
        xa_sb_printf(&para, "%s%s", i ? ", " : " (", ru->reported[i]);
    xa_sb_printf(&para, "%s. Chưa báo cáo: %zu xã", ru->nreported ? ")" : "", ru->nmissing);
    for (size_t i = 0; i < ru->nmissing; i++)
        xa_sb_printf(&para, "%s%s", i ? ", " : " (", ru->missing[i]);
    xa_sb_puts(&para, ru->nmissing ? ")." : ".");
    for (size_t i = 0; i < r.n; i++) {
        xa_block *b = &r.b[i];
        char **f[] = {&b->id,    &b->kind,  &b->pos,     &b->text,    &b->num,    &b->marker,
                      &b->table, &b->tt,    &b->name,    &b->unit,    &b->prev,   &b->plan,
                      &b->est,   &b->note,  &b->vs_prev, &b->vs_plan, &b->remain, &b->printed_for,
                      &b->head,  &b->head2, &b->brk};
        char id[32];

        snprintf(id, sizeof(id), "%04zu", i + 1);
        b->id = dup(id);
        b->kind = dup(i == 0 ? "para" : i == 1 ? "table" : "row");
        if (i == 0) {
            b->text = para.failed ? NULL : para.p;
            para.p = NULL;
        } else if (i == 1) {
            b->head = dup(ROLLUP_HEAD);
        } else {
            const xa_rollup_row *w = &ru->rows[i - 2];
            char note[64];

            b->table = dup("0002");
            b->tt = dup(w->tt);
            b->name = dup(w->name);
            b->unit = dup(w->unit);
            b->prev = sum(w->additive, w->prev_u, w->scale, w->nprev);
            b->plan = sum(w->additive, w->plan_u, w->scale, w->nplan);
            b->est = sum(w->additive, w->est_u, w->scale, w->nest);
            /* computed from the sums, never printed ones */
            b->vs_prev = dup("=");
            b->vs_plan = dup("=");
            b->remain = dup("=");
            if (w->additive)
                snprintf(note, sizeof(note), "%zu xã", w->nest);
            else
                snprintf(note, sizeof(note), "không cộng");
            b->note = dup(note);
        }
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
            if (*f[k] == NULL && (*f[k] = dup("")) == NULL)
                para.failed = 1;
    }
    free(para.p);
    if (para.failed) {
        xa_report_free(&r);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = r;
    return 0;
}
