/*
 * A report as a printable HTML page (report.h, report_int.h); the JSON
 * document is report_json.c.
 *
 * HTML: one self-contained page laid out as a Vietnamese administrative
 * document (Nghị định 30/2020/NĐ-CP): a two-column header (issuing body and
 * number on the left; the national motto and "place, date" on the right),
 * the centred document type and title, the body blocks in order, and the
 * closing two columns ("Nơi nhận:" and its list on the left, the signer on
 * the right).  An indicator table is a bordered table whose header lines
 * become <th> rows, merged as the report merges them (layout.c), in
 * <thead>, so a browser repeats them on every printed page (the imported
 * repeated header head2 is therefore not printed), and
 * whose rows are the row blocks naming it, with the derived columns as
 * xa_report_derived() prints them.  A block or row in conflict gets the
 * class "conflict" and a "XUNG ĐỘT" badge; r->header_conflict marks the
 * header and the closing block, which hold the header's fields.
 *
 * Invariants:
 *   1. every text from the report goes through html(): & < > " ' are
 *      escaped and bytes that are not UTF-8 become U+FFFD, so the output
 *      is valid UTF-8 whatever the fields hold;
 *   2. the page references no external resource: no font, script, image,
 *      stylesheet or link; its only style is the inline <style> below and
 *      its only attributes are fixed class names, escaped data-block ids,
 *      the header cells' colspan and rowspan, and the table's column
 *      widths (numbers, layout.c);
 *   3. nothing of the report is dropped from the page but deleted blocks
 *      (and rows of a table that is deleted or absent, as in the text form);
 *   4. *out is written only on success and is the caller's to free().
 */
#include "report_int.h"
#include "xasync/error.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields read back are "" when absent; a model built by hand may hold
 * NULL, which reads the same. */
static const char *str0(const char *s)
{
    return s ? s : "";
}

/* ---- UTF-8 (layout.c) ------------------------------------------------ */

#define REPLACEMENT XA_U8_BAD
#define u8next xa_u8next
#define u8put xa_u8put
#define vi_upper xa_vi_upper

/* ---- escapers ------------------------------------------------------- */

enum { H_BR = 1, H_UPPER = 2 };

/* s as HTML text (also safe inside a double- or single-quoted attribute):
 * & < > " ' as entities; with H_BR a newline is a <br>; with H_UPPER
 * letters are capitals.  Control characters other than tab and newline,
 * and bytes that are not UTF-8, become U+FFFD (HTML forbids the first,
 * and the page is declared UTF-8). */
static void html(xa_sb *o, const char *s, int flags)
{
    const unsigned char *p = (const unsigned char *)str0(s);
    const unsigned char *run = p; /* bytes copied as they are */

    while (*p) {
        uint32_t cp;
        size_t len = u8next(p, &cp);
        const char *rep = NULL;
        uint32_t up = cp;

        switch (cp) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\t':
            break;
        case '\n':
            if (flags & H_BR)
                rep = "<br>\n";
            break;
        case '\r':
            rep = "";
            break;
        default:
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == REPLACEMENT)
                rep = "&#xFFFD;";
            else if (flags & H_UPPER)
                up = vi_upper(cp);
        }
        if (rep == NULL && up == cp) {
            p += len;
            continue;
        }
        xa_sb_add(o, (const char *)run, (size_t)(p - run));
        if (rep)
            xa_sb_puts(o, rep);
        else
            u8put(o, up);
        p += len;
        run = p;
    }
    xa_sb_add(o, (const char *)run, (size_t)(p - run));
}

/* A text with its conversion leftovers read (layout.c): "**x**" as
 * <b>x</b>, "*x*" as <i>x</i>, "$3.222/3.353 = 96,1\%$" as
 * "3.222/3.353 = 96,1%", "<http://…>" as the address; every run escaped
 * by html(). */
struct rich_ctx {
    xa_sb *o;
    int flags;
};

static void rich_run(void *ctx, const char *s, size_t n, int style)
{
    struct rich_ctx *c = ctx;
    char *t = strndup(s, n);

    if (t == NULL) {
        c->o->failed = 1;
        return;
    }
    if (style & XA_RUN_BOLD)
        xa_sb_puts(c->o, "<b>");
    if (style & XA_RUN_ITALIC)
        xa_sb_puts(c->o, "<i>");
    html(c->o, t, c->flags);
    if (style & XA_RUN_ITALIC)
        xa_sb_puts(c->o, "</i>");
    if (style & XA_RUN_BOLD)
        xa_sb_puts(c->o, "</b>");
    free(t);
}

static void rich(xa_sb *o, const char *s, int flags)
{
    struct rich_ctx c = {o, flags};

    if (xa_inline_runs(s, rich_run, &c) < 0)
        o->failed = 1;
}

/* ---- HTML ----------------------------------------------------------- */

/* The page's only style.  Sizes follow Nghị định 30/2020/NĐ-CP (A4; top
 * and bottom 2 cm, right 1.5 cm, left 3 cm; Times New Roman 13-14 pt).
 * The font: Times New Roman where installed, else Liberation Serif (its
 * metric-compatible free twin, which scripts/setup.sh installs from
 * Debian and which holds every Vietnamese letter); not "Times", which on
 * Debian is a URW font without Vietnamese letters, so that the browser
 * would take those from a sans-serif font in the middle of a word.
 * Page numbers: centred in the top margin from page 2, by CSS page margin
 * boxes (@top-center), which Chromium prints since version 131; a browser
 * without them prints no number.  <thead> repeats the header rows on
 * every page. */
#define SERIF "\"Times New Roman\", \"Liberation Serif\", Tinos, serif"
static const char STYLE[] =
    "@page { size: A4; margin: 2cm 1.5cm 2cm 3cm; }\n"
    "@page { @top-center { content: counter(page); font-family: " SERIF "; font-size: 13pt;"
    " vertical-align: bottom; padding-bottom: 0.4cm; } }\n"
    "@page :first { @top-center { content: none; } }\n"
    "html { background: #e8e8e8; }\n"
    "body { margin: 0; color: #000; font-family: " SERIF ";"
    " font-size: 14pt; line-height: 1.3; }\n"
    ".page { background: #fff; max-width: 16.5cm; margin: 1cm auto;"
    " padding: 2cm 1.5cm 2cm 3cm; box-shadow: 0 0 4pt #999; }\n"
    "p { margin: 0 0 6pt 0; }\n"
    "table.hd, table.sig { width: 100%; border-collapse: collapse; }\n"
    "table.hd td { vertical-align: top; text-align: center; padding: 0 2pt; }\n"
    "table.hd td.l { width: 40%; }\n"
    ".organ { font-weight: bold; font-size: 13pt; }\n"
    ".rule { width: 30%; margin: 1pt auto 0 auto; border-top: 1px solid #000; height: 0; }\n"
    ".nation { font-weight: bold; font-size: 12pt; white-space: nowrap; }\n"
    ".motto { display: inline-block; font-weight: bold; font-size: 13pt;"
    " border-bottom: 1px solid #000; padding-bottom: 1pt; }\n"
    ".num { padding-top: 6pt; font-size: 13pt; }\n"
    ".when { font-style: italic; padding-top: 6pt; }\n"
    ".doctype { text-align: center; font-weight: bold; font-size: 14pt;"
    " margin: 18pt 0 0 0; }\n"
    ".title { text-align: center; font-weight: bold; margin: 0 1cm 0 1cm; }\n"
    ".title-rule { width: 33%; margin: 2pt auto 14pt auto; border-top: 1px solid #000;"
    " height: 0; }\n"
    ".part { text-align: center; font-weight: bold; margin: 12pt 0 6pt 0;"
    " break-after: avoid; }\n"
    ".heading { font-weight: bold; text-align: justify; text-indent: 1cm;"
    " break-after: avoid; }\n"
    ".heading.sub { font-style: italic; }\n"
    ".heading.long { font-weight: normal; font-style: normal; break-after: auto; }\n"
    ".para, .bullet { text-align: justify; text-indent: 1cm; }\n"
    "table.ind { width: 100%; border-collapse: collapse; font-size: 11pt;"
    " margin: 6pt 0 12pt 0; table-layout: fixed; }\n"
    "table.ind thead { display: table-header-group; }\n"
    "table.ind th, table.ind td { border: 1px solid #000; padding: 2pt 3pt; }\n"
    "table.ind td { vertical-align: middle; }\n"
    "table.ind th { text-align: center; vertical-align: middle; font-weight: bold; }\n"
    "table.ind tr.numbering th { font-weight: normal; font-size: 10pt; }\n"
    "table.ind td.c { text-align: center; }\n"
    "table.ind td.n { text-align: right; }\n"
    "table.ind tr.group td { font-weight: bold; }\n"
    "table.ind tr { page-break-inside: avoid; break-inside: avoid; }\n"
    "table.sig { margin-top: 12pt; page-break-inside: avoid; break-inside: avoid; }\n"
    "table.sig td { vertical-align: top; padding: 0; }\n"
    "td.recv { width: 48%; text-align: left; font-size: 11pt; }\n"
    ".recv-label { font-weight: bold; font-style: italic; font-size: 12pt; }\n"
    "td.signer { text-align: center; }\n"
    ".role { font-weight: bold; }\n"
    ".sign-space { height: 2.5cm; }\n"
    ".signer-name { font-weight: bold; }\n"
    ".conflict { background: #fff3a0; outline: 1px dashed #a07800; }\n"
    ".badge { display: inline-block; text-indent: 0; margin-right: 4pt; padding: 0 3pt;"
    " border: 1px solid #000; background: #ffd400; color: #000; font-size: 9pt;"
    " font-weight: bold; font-style: normal; vertical-align: middle; }\n"
    ".conflict, .badge { print-color-adjust: exact; -webkit-print-color-adjust: exact; }\n"
    "@media print {\n"
    "  html { background: none; }\n"
    "  .page { margin: 0; padding: 0; max-width: none; box-shadow: none; }\n"
    "}\n";

#define BADGE                                                                                                \
    "<span class=\"badge\" title=\"Trường này có giá trị đồng thời / concurrent values\">XUNG " \
    "ĐỘT</span>"

static int is_kind(const xa_block *b, const char *kind)
{
    return strcmp(str0(b->kind), kind) == 0;
}

/* A group row's TT is a roman numeral (I, II, III; as report_check.c). */
static int is_roman(const char *tt)
{
    tt = str0(tt);
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

/* A row's derived columns as printed.  xa_report_derived() reads the
 * row's fields as strings; a hand-built model may hold NULL for "". */
static void derived(const xa_block *b, char d[3][64])
{
    static char empty[1];
    xa_block c = *b;
    char **f[] = {&c.kind, &c.tt, &c.prev, &c.plan, &c.est, &c.vs_prev, &c.vs_plan, &c.remain};

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (*f[i] == NULL)
            *f[i] = empty;
    xa_report_derived(&c, d[0], d[1], d[2], sizeof(d[0]));
}

/* <p class="cls[ conflict]" data-block="id">[badge] */
static void open_p(xa_sb *o, const char *cls, const xa_block *b)
{
    xa_sb_puts(o, "<p class=\"");
    xa_sb_puts(o, cls);
    if (b->conflict)
        xa_sb_puts(o, " conflict");
    xa_sb_puts(o, "\" data-block=\"");
    html(o, b->id, 0);
    xa_sb_puts(o, "\">");
    if (b->conflict)
        xa_sb_puts(o, BADGE " ");
}

static void cell(xa_sb *o, const char *tag, const char *cls, const char *s)
{
    xa_sb_puts(o, "<");
    xa_sb_puts(o, tag);
    if (cls) {
        xa_sb_puts(o, " class=\"");
        xa_sb_puts(o, cls);
        xa_sb_puts(o, "\"");
    }
    xa_sb_puts(o, ">");
    rich(o, s, H_BR);
    xa_sb_puts(o, "</");
    xa_sb_puts(o, tag);
    xa_sb_puts(o, ">");
}

/* The header lines of a table as <th> rows, merged as the report merges
 * them (layout.c: "Kết quả thực hiện" over three columns, TT over three
 * rows); the line of column numbers is printed smaller. */
static void html_head(xa_sb *o, const char *head, size_t ncols)
{
    xa_head_grid g;

    if (xa_head_grid_build(head, ncols, &g) < 0) {
        o->failed = 1;
        return;
    }
    for (size_t r = 0; r < g.nrows; r++) {
        xa_sb_puts(o, xa_head_numbering_row(&g, r) ? "<tr class=\"numbering\">" : "<tr>");
        for (size_t c = 0; c < g.ncols; c++) {
            const xa_head_cell *h = &g.cells[r * g.ncols + c];

            if (h->covered)
                continue;
            xa_sb_puts(o, "<th");
            if (h->colspan > 1)
                xa_sb_printf(o, " colspan=\"%zu\"", h->colspan);
            if (h->rowspan > 1)
                xa_sb_printf(o, " rowspan=\"%zu\"", h->rowspan);
            xa_sb_puts(o, ">");
            if (xa_head_numbering_row(&g, r)) {
                /* a formula may break after its "=" */
                char *plain = xa_inline_plain(h->text);
                const char *p = plain ? plain : "";
                if (plain == NULL)
                    o->failed = 1;
                while (*p) {
                    const char *eq = strchr(p, '=');
                    char *part = strndup(p, eq && eq[1] ? (size_t)(eq - p) + 1 : strlen(p));
                    if (part == NULL) {
                        o->failed = 1;
                        break;
                    }
                    html(o, part, H_BR);
                    p += strlen(part);
                    free(part);
                    if (*p)
                        xa_sb_puts(o, "<wbr>");
                }
                free(plain);
            } else {
                rich(o, h->text, H_BR);
            }
            xa_sb_puts(o, "</th>");
        }
        xa_sb_puts(o, "</tr>\n");
    }
    xa_head_grid_free(&g);
}

static void html_row(xa_sb *o, const xa_block *row)
{
    char d[3][64];
    int group = is_roman(row->tt);

    derived(row, d);
    xa_sb_puts(o, "<tr");
    if (group || row->conflict) {
        xa_sb_puts(o, " class=\"");
        xa_sb_puts(o, group && row->conflict ? "group conflict" : group ? "group" : "conflict");
        xa_sb_puts(o, "\"");
    }
    xa_sb_puts(o, " data-block=\"");
    html(o, row->id, 0);
    xa_sb_puts(o, "\">");
    cell(o, "td", "c", row->tt);
    xa_sb_puts(o, "<td>");
    if (row->conflict)
        xa_sb_puts(o, BADGE " ");
    rich(o, row->name, H_BR);
    xa_sb_puts(o, "</td>");
    cell(o, "td", "c", row->unit);
    cell(o, "td", "n", row->prev);
    cell(o, "td", "n", row->plan);
    cell(o, "td", "n", row->est);
    cell(o, "td", "n", d[0]);
    cell(o, "td", "n", d[1]);
    cell(o, "td", "n", d[2]);
    cell(o, "td", NULL, row->note);
    xa_sb_puts(o, "</tr>\n");
}

/* An indicator table: its header lines, then its rows in the report's
 * order.  head2 (the header repeated after a page break in the source)
 * is not printed: <thead> repeats the header on every page. */
static void html_table(xa_sb *o, const xa_report *r, const xa_block *t)
{
    xa_sb_puts(o, "<table class=\"ind");
    if (t->conflict)
        xa_sb_puts(o, " conflict");
    xa_sb_puts(o, "\" data-block=\"");
    html(o, t->id, 0);
    xa_sb_puts(o, "\">\n");
    if (t->conflict)
        xa_sb_puts(o, "<caption>" BADGE "</caption>\n");
    {
        /* column widths from the content (layout.c): Chỉ tiêu the widest */
        xa_head_grid g;
        unsigned w[XA_TABLE_COLS];

        if (xa_head_grid_build(t->head, XA_TABLE_COLS, &g) < 0) {
            o->failed = 1;
            return;
        }
        xa_table_widths(r, t, &g, w);
        xa_head_grid_free(&g);
        xa_sb_puts(o, "<colgroup>");
        for (size_t c = 0; c < XA_TABLE_COLS; c++)
            xa_sb_printf(o, "<col style=\"width: %u.%u%%\">", w[c] / 10, w[c] % 10);
        xa_sb_puts(o, "</colgroup>\n");
    }
    xa_sb_puts(o, "<thead>\n");
    html_head(o, t->head, XA_TABLE_COLS);
    xa_sb_puts(o, "</thead>\n<tbody>\n");
    for (size_t k = 0; k < r->n; k++) {
        const xa_block *row = &r->b[k];

        if (row->deleted || !is_kind(row, "row") || strcmp(str0(row->table), str0(t->id)) != 0)
            continue;
        html_row(o, row);
    }
    xa_sb_puts(o, "</tbody>\n</table>\n");
}

/* A heading of more than this many characters is a numbered paragraph:
 * only its number is bold (as in docx.c). */
#define HEADING_MAX 160

static void html_block(xa_sb *o, const xa_report *r, const xa_block *b)
{
    if (is_kind(b, "part")) {
        open_p(o, "part", b);
        rich(o, b->num, H_BR);
        if (str0(b->num)[0] && str0(b->text)[0])
            xa_sb_puts(o, "<br>\n");
        rich(o, b->text, H_BR);
    } else if (is_kind(b, "heading")) {
        int longp = xa_u8len(b->text) > HEADING_MAX, sub = 0;
        const char *num = str0(b->num);

        /* "2.1." and deeper: bold italic; "I.", "1.": bold */
        for (const char *p = num; *p; p++)
            if (*p == '.' && p[1] && p[1] != ' ')
                sub = 1;
        if (strspn(num, "IVX") > 0 && num[strspn(num, "IVX")] == '.')
            sub = 0;
        open_p(o, longp ? "heading long" : sub ? "heading sub" : "heading", b);
        if (longp)
            xa_sb_puts(o, "<b>");
        rich(o, b->num, H_BR);
        if (longp)
            xa_sb_puts(o, "</b>");
        if (num[0])
            xa_sb_puts(o, " ");
        rich(o, b->text, H_BR);
    } else if (is_kind(b, "bullet")) {
        /* "*" was a list mark of the converted source: printed "-" */
        const char *m = str0(b->marker);
        open_p(o, "bullet", b);
        html(o, m[0] && strcmp(m, "*") != 0 ? m : "-", 0);
        xa_sb_puts(o, " ");
        rich(o, b->text, H_BR);
    } else if (is_kind(b, "table")) {
        html_table(o, r, b);
        return;
    } else {
        /* para, and any kind this version does not know: its text */
        open_p(o, "para", b);
        rich(o, b->text, H_BR);
    }
    xa_sb_puts(o, "</p>\n");
}

/* The two-column header, the document type and the title. */
static void html_header(xa_sb *o, const xa_report *r)
{
    const char *body = str0(r->body);
    const char *place = str0(r->place);
    const char *date = str0(r->date);

    xa_sb_puts(o, r->header_conflict ? "<div class=\"header conflict\">" BADGE "\n"
                                     : "<div class=\"header\">\n");
    xa_sb_puts(o, "<table class=\"hd\">\n<tr><td class=\"l\"><div class=\"organ\">");
    if (body[0]) {
        html(o, body, H_BR | H_UPPER);
    } else if (place[0]) {
        xa_sb_puts(o, "UBND XÃ ");
        html(o, place, H_UPPER);
    }
    xa_sb_puts(o, "</div><div class=\"rule\"></div></td>\n<td class=\"r\">"
                  "<div class=\"nation\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>"
                  "<div class=\"motto\">Độc lập - Tự do - Hạnh phúc</div></td></tr>\n"
                  "<tr><td class=\"l num\">Số: ");
    {
        /* a number or day still to be written by hand gets room for it */
        char *no = xa_print_blank(r->number), *when = xa_print_blank(date);
        if (no == NULL || when == NULL)
            o->failed = 1;
        html(o, no, 0);
        xa_sb_puts(o, "</td>\n<td class=\"r when\">");
        html(o, place, 0);
        if (place[0] && date[0])
            xa_sb_puts(o, ", ");
        html(o, when, 0);
        free(no);
        free(when);
    }
    xa_sb_puts(o, "</td></tr>\n</table>\n<p class=\"doctype\">");
    html(o, r->doctype, H_BR);
    xa_sb_puts(o, "</p>\n<p class=\"title\">");
    rich(o, r->title, H_BR);
    xa_sb_puts(o, "</p>\n<div class=\"title-rule\"></div>\n</div>\n");
}

/* "Nơi nhận:" and its list on the left, the signer on the right. */
static void html_closing(xa_sb *o, const xa_report *r)
{
    const char *label = str0(r->recipients_label);

    if (!label[0] && !str0(r->recipients)[0] && !str0(r->signer_role)[0] &&
        !str0(r->signer_name)[0])
        return;
    xa_sb_puts(o,
               r->header_conflict ? "<table class=\"sig conflict\">\n" : "<table class=\"sig\">\n");
    xa_sb_puts(o, "<tr><td class=\"recv\"><div class=\"recv-label\">");
    if (r->header_conflict)
        xa_sb_puts(o, BADGE " ");
    html(o, label[0] ? label : "Nơi nhận:", 0);
    xa_sb_puts(o, "</div>\n<div class=\"recv-list\">");
    html(o, r->recipients, H_BR);
    xa_sb_puts(o, "</div></td>\n<td class=\"signer\"><div class=\"role\">");
    html(o, r->signer_role, H_BR | H_UPPER);
    xa_sb_puts(o, "</div><div class=\"sign-space\"></div><div class=\"signer-name\">");
    html(o, r->signer_name, H_BR);
    xa_sb_puts(o, "</div></td></tr>\n</table>\n");
}

static int check_args(const xa_report *r, char **out)
{
    if (r == NULL || out == NULL)
        return xa_error_set(XA_EINVAL, "render: no report or no output");
    if (r->n > 0 && r->b == NULL)
        return xa_error_set(XA_EINVAL, "render: %zu blocks but no block array", r->n);
    return 0;
}

static int finish(xa_sb *o, char **out)
{
    if (o->failed) {
        free(o->p);
        return xa_error_set(XA_ENOMEM, "out of memory rendering a report");
    }
    assert(o->p != NULL);
    *out = o->p;
    return 0;
}

int xa_report_render_html(const xa_report *r, char **out)
{
    xa_sb o = {0};
    int rc = check_args(r, out);

    if (rc < 0)
        return rc;
    xa_sb_puts(&o, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    html(&o, r->title, 0);
    xa_sb_puts(&o, "</title>\n<style>\n");
    xa_sb_puts(&o, STYLE);
    xa_sb_puts(&o, "</style>\n</head>\n<body>\n<div class=\"page\">\n");
    html_header(&o, r);
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];

        /* rows are printed inside their table */
        if (b->deleted || is_kind(b, "row"))
            continue;
        html_block(&o, r, b);
    }
    html_closing(&o, r);
    xa_sb_puts(&o, "</div>\n</body>\n</html>\n");
    return finish(&o, out);
}
