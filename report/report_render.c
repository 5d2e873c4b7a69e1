/*
 * Printing a report (report.h): the seed's text form, a printable HTML page
 * (report_html.c) and JSON (report_html.c).
 *
 * The text form is the importer's input read backwards: importing the seed
 * and printing it gives the same lines, up to blank lines and spaces.  The
 * derived columns of a row are printed as imported while its figures are
 * unchanged, else computed (report_check.c).  A field in conflict is
 * printed with its front value and a mark "[XUNG ĐỘT / CONFLICT]".
 */
#include "report_int.h"
#include "xasync/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xa_sb_add(xa_sb *b, const char *s, size_t n)
{
    if (b->failed)
        return -1;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

int xa_sb_puts(xa_sb *b, const char *s)
{
    return xa_sb_add(b, s, strlen(s));
}

int xa_sb_printf(xa_sb *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(tmp))
        return xa_sb_add(b, tmp, (size_t)n);
    /* long: format again into a buffer of the right size */
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        b->failed = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = xa_sb_add(b, big, (size_t)n);
    free(big);
    return rc;
}

#define CONFLICT_MARK " [XUNG ĐỘT / CONFLICT]"

static void text_row(xa_sb *o, const xa_block *b)
{
    char d[3][48];

    xa_report_derived(b, d[0], d[1], d[2], sizeof(d[0]));
    xa_sb_printf(o, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", b->tt, b->name, b->unit, b->prev,
                 b->plan, b->est, d[0], d[1], d[2], b->note, b->conflict ? CONFLICT_MARK : "");
}

/* Before a row a page break came before in the source: a blank line and
 * the header repeated there.  A table's `break` lists those rows' ids
 * (space-separated); `head2` their repeated headers, in that order,
 * separated by a line "\f" (an empty one: the table only went on after
 * blank lines). */
static void page_break(xa_sb *o, const xa_block *t, const char *row_id)
{
    const char *p = t->brk, *h = t->head2;
    size_t idl = strlen(row_id);

    for (int k = 0; *p; k++) {
        size_t n = strcspn(p, " ");
        if (n == idl && strncmp(p, row_id, n) == 0) {
            /* the k-th header */
            for (int j = 0; j < k && h; j++) {
                h = strstr(h, "\f");
                h = h ? h + 1 + (h[1] == '\n') : NULL;
            }
            if (h == NULL)
                return;
            const char *e = strstr(h, "\n\f");
            size_t hl = e ? (size_t)(e - h) : strlen(h);
            if (h[0] == '\f')
                hl = 0;
            xa_sb_puts(o, "\n");
            if (hl) {
                xa_sb_add(o, h, hl);
                xa_sb_puts(o, "\n");
            }
            return;
        }
        p += n;
        p += *p == ' ';
    }
}

static int render_text(const xa_report *r, char **out)
{
    xa_sb o = {0};

    xa_sb_puts(&o, "\n\n");
    if (r->header_conflict)
        xa_sb_puts(&o, "[XUNG ĐỘT / CONFLICT: the header holds concurrent values]\n\n");
    if (r->number[0])
        xa_sb_printf(&o, "Số: %s\n\n", r->number);
    if (r->place[0] || r->date[0])
        xa_sb_printf(&o, "%s, %s\n\n", r->place, r->date);
    xa_sb_printf(&o, "%s\n\n%s\n\n", r->doctype, r->title);
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        const char *mark = b->conflict ? CONFLICT_MARK : "";

        if (b->deleted || strcmp(b->kind, "row") == 0)
            continue;
        if (strcmp(b->kind, "part") == 0) {
            xa_sb_printf(&o, "%s%s%s%s\n\n", b->num, b->num[0] && b->text[0] ? " " : "", b->text,
                         mark);
        } else if (strcmp(b->kind, "heading") == 0) {
            xa_sb_printf(&o, "%s %s%s\n\n", b->num, b->text, mark);
        } else if (strcmp(b->kind, "bullet") == 0) {
            xa_sb_printf(&o, "%s %s%s\n\n", b->marker[0] ? b->marker : "-", b->text, mark);
        } else if (strcmp(b->kind, "table") == 0) {
            xa_sb_printf(&o, "%s\n", b->head);
            for (size_t k = 0; k < r->n; k++) {
                const xa_block *row = &r->b[k];
                if (row->deleted || strcmp(row->kind, "row") != 0 || strcmp(row->table, b->id) != 0)
                    continue;
                page_break(&o, b, row->id);
                text_row(&o, row);
            }
            xa_sb_puts(&o, "\n");
        } else {
            xa_sb_printf(&o, "%s%s\n\n", b->text, mark);
        }
    }
    if (r->recipients_label[0] || r->recipients[0])
        xa_sb_printf(&o, "%s\n\n%s\n\n",
                     r->recipients_label[0] ? r->recipients_label : "Nơi nhận:", r->recipients);
    if (r->signer_role[0])
        xa_sb_printf(&o, "%s\n\n", r->signer_role);
    if (r->signer_name[0])
        xa_sb_printf(&o, "%s\n", r->signer_name);
    if (o.failed) {
        free(o.p);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = o.p;
    return 0;
}

int xa_report_render(const xa_report *r, int format, char **out)
{
    switch (format) {
    case XA_REPORT_TEXT:
        return render_text(r, out);
    case XA_REPORT_HTML:
        return xa_report_render_html(r, out);
    case XA_REPORT_JSON:
        return xa_report_render_json(r, out);
    case XA_REPORT_DOCX:
        return xa_error_set(XA_EINVAL, "docx is binary: use xa_report_docx()");
    default:
        return xa_error_set(XA_EINVAL, "unknown format: text, html or json");
    }
}
