/*
 * A report as a Word document (.docx): WordprocessingML written with
 * libxml2's xmlTextWriter, zipped with libzip, in the layout of an
 * administrative report of Nghị định 30/2020/NĐ-CP, Phụ lục I:
 *
 *   - A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm;
 *   - Times New Roman (named in the file; the reader's machine supplies it,
 *     or a metric-compatible font such as Liberation Serif), body 14 pt;
 *   - a two-column header table without borders: the issuing body in bold
 *     capitals with a short rule under it, "Số: …" under that; on the
 *     right "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold, 12 pt) and
 *     "Độc lập - Tự do - Hạnh phúc" (bold, 13 pt) with a rule as long as
 *     it, then place and date in italics;
 *   - "BÁO CÁO" bold and centred, the title bold and centred, a short rule
 *     under it (a third of the line);
 *   - body paragraphs justified, first line indented 1 cm, 6 pt after;
 *     headings bold (numbered paragraphs of more than a sentence or two
 *     keep only their number bold), parts centred;
 *   - the page number centred at the top from page 2 (the first page has
 *     its own, empty, header: w:titlePg);
 *   - the indicator table: header lines as merged cells (layout.c), its
 *     header rows repeated on every page (w:tblHeader), rows never split
 *     over two pages, column widths from the content, TT and units
 *     centred, figures right-aligned, group rows (I, II, III) bold;
 *   - "Nơi nhận:" bold italic 12 pt with its items at 11 pt, beside the
 *     signature: the signer's role in bold capitals (one line per line of
 *     the field, so "TM. ỦY BAN NHÂN DÂN" over "CHỦ TỊCH"), room to sign,
 *     the name in bold.
 * Conversion leftovers ("**bold**", "$…$", "\%") are written as a person
 * would (layout.c).  A field in conflict gets a highlighted "XUNG ĐỘT /
 * CONFLICT" mark, as in the other formats.
 *
 * Every text goes through text(): bytes that are not UTF-8 and characters
 * XML 1.0 does not allow become U+FFFD, so the parts are well-formed
 * whatever the fields hold.  The zip's entries carry a fixed time, so the
 * same report gives the same bytes.
 */
#include "report_int.h"
#include "xasync/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define R_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/* Page geometry, in twentieths of a point (twips): A4, margins 20/20/30/15 mm. */
enum {
    PAGE_W = 11906,
    PAGE_H = 16838,
    MARGIN_TOP = 1134,
    MARGIN_BOTTOM = 1134,
    MARGIN_LEFT = 1701,
    MARGIN_RIGHT = 851,
    HEADER_DIST = 567,
    TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT, /* 9354 */
    HD_LEFT = 3742,                               /* the header table's left column */
    HD_RIGHT = TEXT_W - HD_LEFT,
    SIG_LEFT = 4536, /* "Nơi nhận" column, 8 cm */
    SIG_RIGHT = TEXT_W - SIG_LEFT,
    INDENT = 567, /* first line, 1 cm */
};

/* Sizes in half-points. */
enum {
    SZ_BODY = 28,
    SZ_NATION = 24,
    SZ_MOTTO = 26,
    SZ_ORGAN = 26,
    SZ_TABLE = 22,
    SZ_NUMBERING = 20,
    SZ_RECV = 22,
    SZ_RECV_LABEL = 24
};

static const char *str0(const char *s)
{
    return s ? s : "";
}

/* ---- the XML writer ------------------------------------------------- */

typedef struct dx {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    int err;
} dx;

static int dx_open(dx *d)
{
    memset(d, 0, sizeof(*d));
    d->buf = xmlBufferCreate();
    if (d->buf == NULL)
        return -1;
    d->w = xmlNewTextWriterMemory(d->buf, 0);
    if (d->w == NULL) {
        xmlBufferFree(d->buf);
        return -1;
    }
    if (xmlTextWriterStartDocument(d->w, NULL, "UTF-8", "yes") < 0)
        d->err = 1;
    return 0;
}

/* Ends the document; the part's bytes stay in d->buf until dx_free(). */
static int dx_close(dx *d)
{
    if (xmlTextWriterEndDocument(d->w) < 0)
        d->err = 1;
    xmlFreeTextWriter(d->w);
    d->w = NULL;
    return d->err ? -1 : 0;
}

static void dx_free(dx *d)
{
    if (d->w)
        xmlFreeTextWriter(d->w);
    if (d->buf)
        xmlBufferFree(d->buf);
    memset(d, 0, sizeof(*d));
}

static void st(dx *d, const char *name)
{
    if (xmlTextWriterStartElement(d->w, BAD_CAST name) < 0)
        d->err = 1;
}

static void en(dx *d)
{
    if (xmlTextWriterEndElement(d->w) < 0)
        d->err = 1;
}

static void at(dx *d, const char *name, const char *val)
{
    if (xmlTextWriterWriteAttribute(d->w, BAD_CAST name, BAD_CAST val) < 0)
        d->err = 1;
}

static void ati(dx *d, const char *name, long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%ld", v);
    at(d, name, b);
}

/* <name w:val="val"/> */
static void el(dx *d, const char *name, const char *val)
{
    st(d, name);
    if (val)
        at(d, "w:val", val);
    en(d);
}

static void eli(dx *d, const char *name, long v)
{
    st(d, name);
    ati(d, "w:val", v);
    en(d);
}

static void raw_text(dx *d, const char *s, size_t n)
{
    st(d, "w:t");
    at(d, "xml:space", "preserve");
    if (xmlTextWriterWriteFormatString(d->w, "%.*s", (int)n, s) < 0)
        d->err = 1;
    en(d);
}

/* Text of a run: a tab is <w:tab/>, a newline <w:br/>; bytes that are not
 * UTF-8 and characters XML 1.0 forbids become U+FFFD. */
static void text(dx *d, const char *s, size_t n)
{
    xa_sb o = {0};
    const unsigned char *p = (const unsigned char *)s, *e = p + n;

    xa_sb_puts(&o, "");
    while (p < e) {
        uint32_t cp;
        size_t len;

        if (*p == '\0') {
            cp = XA_U8_BAD;
            len = 1;
        } else {
            /* xa_u8next reads at most up to a NUL or a non-continuation byte */
            len = xa_u8next(p, &cp);
            if (p + len > e) {
                cp = XA_U8_BAD;
                len = 1;
            }
        }
        if (cp == '\t' || cp == '\n') {
            if (o.n)
                raw_text(d, o.p, o.n);
            o.n = 0;
            el(d, cp == '\t' ? "w:tab" : "w:br", NULL);
        } else if (cp == '\r') {
            /* dropped */
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
            xa_u8put(&o, XA_U8_BAD);
        } else {
            xa_u8put(&o, cp);
        }
        p += len;
    }
    if (o.n)
        raw_text(d, o.p, o.n);
    if (o.failed)
        d->err = 1;
    free(o.p);
}

/* ---- runs and paragraphs -------------------------------------------- */

typedef struct rfmt {
    int bold, italic, size; /* size in half-points; 0: the style's */
    int highlight;
} rfmt;

static void rpr(dx *d, const rfmt *f)
{
    if (f == NULL)
        return;
    if (!f->bold && !f->italic && !f->size && !f->highlight)
        return;
    st(d, "w:rPr");
    if (f->bold)
        el(d, "w:b", NULL);
    if (f->italic)
        el(d, "w:i", NULL);
    if (f->highlight)
        el(d, "w:highlight", "yellow");
    if (f->size) {
        eli(d, "w:sz", f->size);
        eli(d, "w:szCs", f->size);
    }
    en(d);
}

static void run(dx *d, const char *s, size_t n, const rfmt *f)
{
    st(d, "w:r");
    rpr(d, f);
    text(d, s, n);
    en(d);
}

static void runs(dx *d, const char *s, const rfmt *f)
{
    run(d, str0(s), strlen(str0(s)), f);
}

struct rich_ctx {
    dx *d;
    const rfmt *base;
};

static void rich_run(void *ctx, const char *s, size_t n, int flags)
{
    struct rich_ctx *c = ctx;
    rfmt f = {0};

    if (c->base)
        f = *c->base;
    if (flags & XA_RUN_BOLD)
        f.bold = 1;
    if (flags & XA_RUN_ITALIC)
        f.italic = 1;
    run(c->d, s, n, &f);
}

/* A text with its conversion leftovers read (layout.c). */
static void rich(dx *d, const char *s, const rfmt *f)
{
    struct rich_ctx c = {d, f};

    if (xa_inline_runs(s, rich_run, &c) < 0)
        d->err = 1;
}

static void conflict_mark(dx *d)
{
    rfmt f = {.bold = 1, .highlight = 1};
    runs(d, "XUNG ĐỘT / CONFLICT", &f);
    runs(d, " ", NULL);
}

typedef struct pfmt {
    const char *jc; /* left center right both */
    int first, left, right;
    int before, after, line; /* line: 240ths of a line; 0: the style's */
    int keep_next, keep_lines;
    int rule;  /* a bottom border (a rule under the paragraph) */
    int exact; /* line is an exact height in twips */
} pfmt;

static void ppr(dx *d, const pfmt *f)
{
    st(d, "w:pPr");
    if (f->keep_next)
        el(d, "w:keepNext", NULL);
    if (f->keep_lines)
        el(d, "w:keepLines", NULL);
    if (f->rule) {
        st(d, "w:pBdr");
        st(d, "w:bottom");
        at(d, "w:val", "single");
        at(d, "w:sz", "6");
        at(d, "w:space", "1");
        at(d, "w:color", "000000");
        en(d);
        en(d);
    }
    st(d, "w:spacing");
    ati(d, "w:before", f->before);
    ati(d, "w:after", f->after);
    if (f->line) {
        ati(d, "w:line", f->line);
        at(d, "w:lineRule", f->exact ? "exact" : "auto");
    }
    en(d);
    if (f->first || f->left || f->right) {
        st(d, "w:ind");
        if (f->left)
            ati(d, "w:left", f->left);
        if (f->right)
            ati(d, "w:right", f->right);
        if (f->first)
            ati(d, "w:firstLine", f->first);
        en(d);
    }
    if (f->jc)
        el(d, "w:jc", f->jc);
    en(d);
}

/* A paragraph holding one text. */
static void para(dx *d, const pfmt *pf, const char *s, const rfmt *rf, int is_rich)
{
    st(d, "w:p");
    ppr(d, pf);
    if (is_rich)
        rich(d, s, rf);
    else
        runs(d, s, rf);
    en(d);
}

/* A short rule: an empty paragraph 2 pt high with a bottom border,
 * narrowed by its indents to `width` twips, centred in `col`. */
static void rule(dx *d, int col, int width)
{
    pfmt pf = {.jc = "center",
               .left = (col - width) / 2,
               .right = (col - width) / 2,
               .line = 40,
               .exact = 1,
               .rule = 1};
    rfmt rf = {.size = 2};

    st(d, "w:p");
    ppr(d, &pf);
    st(d, "w:r");
    rpr(d, &rf);
    en(d);
    en(d);
}

/* ---- tables ---------------------------------------------------------- */

static void borders(dx *d, const char *tag, const char *val)
{
    static const char *const sides[] = {"w:top",   "w:left",    "w:bottom",
                                        "w:right", "w:insideH", "w:insideV"};
    st(d, tag);
    for (size_t i = 0; i < 6; i++) {
        st(d, sides[i]);
        at(d, "w:val", val);
        if (strcmp(val, "nil") != 0) {
            at(d, "w:sz", "4");
            at(d, "w:space", "0");
            at(d, "w:color", "000000");
        }
        en(d);
    }
    en(d);
}

static void tbl_start(dx *d, const int *cols, size_t n, int bordered, int cell_mar)
{
    int w = 0;

    for (size_t i = 0; i < n; i++)
        w += cols[i];
    st(d, "w:tbl");
    st(d, "w:tblPr");
    st(d, "w:tblW");
    ati(d, "w:w", w);
    at(d, "w:type", "dxa");
    en(d);
    el(d, "w:jc", "center");
    borders(d, "w:tblBorders", bordered ? "single" : "nil");
    st(d, "w:tblLayout");
    at(d, "w:type", "fixed");
    en(d);
    st(d, "w:tblCellMar");
    st(d, "w:left");
    ati(d, "w:w", cell_mar);
    at(d, "w:type", "dxa");
    en(d);
    st(d, "w:right");
    ati(d, "w:w", cell_mar);
    at(d, "w:type", "dxa");
    en(d);
    en(d);
    st(d, "w:tblLook");
    at(d, "w:val", "0000");
    en(d);
    en(d);
    st(d, "w:tblGrid");
    for (size_t i = 0; i < n; i++) {
        st(d, "w:gridCol");
        ati(d, "w:w", cols[i]);
        en(d);
    }
    en(d);
}

/* <w:tc><w:tcPr>…</w:tcPr> (left open) */
static void tc_start(dx *d, int width, int span, const char *vmerge, const char *valign)
{
    st(d, "w:tc");
    st(d, "w:tcPr");
    st(d, "w:tcW");
    ati(d, "w:w", width);
    at(d, "w:type", "dxa");
    en(d);
    if (span > 1)
        eli(d, "w:gridSpan", span);
    if (vmerge)
        el(d, "w:vMerge", strcmp(vmerge, "continue") == 0 ? NULL : vmerge);
    if (valign)
        el(d, "w:vAlign", valign);
    en(d);
}

static void tr_start(dx *d, int header)
{
    st(d, "w:tr");
    st(d, "w:trPr");
    el(d, "w:cantSplit", NULL);
    if (header)
        el(d, "w:tblHeader", NULL);
    en(d);
}

static int is_kind(const xa_block *b, const char *k)
{
    return strcmp(str0(b->kind), k) == 0;
}

static int is_roman(const char *tt)
{
    tt = str0(tt);
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

/* A cell of the indicator table holding one text. */
static void cell(dx *d, int width, const char *jc, const char *s, const rfmt *rf, int mark)
{
    pfmt pf = {.jc = jc, .line = 240};

    tc_start(d, width, 1, NULL, "center");
    st(d, "w:p");
    ppr(d, &pf);
    if (mark)
        conflict_mark(d);
    rich(d, s, rf);
    en(d);
    en(d);
}

/* A cell of the column numbers: the formula as written by hand, free to
 * break after its "=" (a zero-width space, U+200B). */
static void numbering_cell(dx *d, const char *s, const rfmt *f)
{
    char *plain = xa_inline_plain(s);
    xa_sb o = {0};

    xa_sb_puts(&o, "");
    for (const char *p = plain ? plain : ""; *p; p++) {
        xa_sb_add(&o, p, 1);
        if (*p == '=' && p[1])
            xa_sb_puts(&o, "\xe2\x80\x8b");
    }
    if (plain == NULL || o.failed)
        d->err = 1;
    else
        runs(d, o.p, f);
    free(plain);
    free(o.p);
}

static void table(dx *d, const xa_report *r, const xa_block *t)
{
    xa_head_grid g;
    unsigned pm[XA_TABLE_COLS];
    int cols[XA_TABLE_COLS], sum = 0;
    rfmt hf = {.bold = 1, .size = SZ_TABLE};
    static const char *const jcs[XA_TABLE_COLS] = {"center", "left",  "center", "right", "right",
                                                   "right",  "right", "right",  "right", "left"};

    if (xa_head_grid_build(t->head, XA_TABLE_COLS, &g) < 0) {
        d->err = 1;
        return;
    }
    xa_table_widths(r, t, &g, pm);
    for (size_t c = 0; c < XA_TABLE_COLS; c++) {
        cols[c] = (int)(pm[c] * (unsigned)TEXT_W / 1000);
        sum += cols[c];
    }
    cols[1] += TEXT_W - sum;
    if (t->conflict) {
        pfmt pf = {.jc = "left", .after = 60};
        st(d, "w:p");
        ppr(d, &pf);
        conflict_mark(d);
        en(d);
    }
    tbl_start(d, cols, XA_TABLE_COLS, 1, 57);
    for (size_t row = 0; row < g.nrows; row++) {
        tr_start(d, 1);
        for (size_t c = 0; c < g.ncols;) {
            const xa_head_cell *h = &g.cells[row * g.ncols + c];
            size_t span = 1;
            int width = 0;

            if (h->covered) {
                /* under a cell that spans rows: the left column of its span
                 * continues the vertical merge; the others are in gridSpan */
                size_t top = row;
                while (top > 0 && g.cells[top * g.ncols + c].covered)
                    top--;
                const xa_head_cell *a = &g.cells[top * g.ncols + c];
                if (!a->covered && a->rowspan > row - top && a->colspan >= 1) {
                    span = a->colspan;
                    for (size_t k = c; k < c + span; k++)
                        width += cols[k];
                    tc_start(d, width, (int)span, "continue", "center");
                    st(d, "w:p");
                    en(d);
                    en(d);
                    c += span;
                    continue;
                }
                /* covered by a horizontal span of a cell to the left */
                c++;
                continue;
            }
            span = h->colspan ? h->colspan : 1;
            for (size_t k = c; k < c + span; k++)
                width += cols[k];
            tc_start(d, width, (int)span, h->rowspan > 1 ? "restart" : NULL, "center");
            {
                pfmt pf = {.jc = "center", .line = 240};
                st(d, "w:p");
                ppr(d, &pf);
                if (xa_head_numbering_row(&g, row)) {
                    rfmt nf = {.size = SZ_NUMBERING};
                    numbering_cell(d, h->text, &nf);
                } else {
                    rich(d, h->text, &hf);
                }
                en(d);
            }
            en(d);
            c += span;
        }
        en(d);
    }
    for (size_t k = 0; k < r->n; k++) {
        const xa_block *b = &r->b[k];
        char dv[3][64];
        const char *cells[XA_TABLE_COLS];
        rfmt rf = {.size = SZ_TABLE, .bold = is_roman(b->tt)};

        if (b->deleted || !is_kind(b, "row") || strcmp(str0(b->table), str0(t->id)) != 0)
            continue;
        xa_report_derived(b, dv[0], dv[1], dv[2], sizeof(dv[0]));
        cells[0] = b->tt;
        cells[1] = b->name;
        cells[2] = b->unit;
        cells[3] = b->prev;
        cells[4] = b->plan;
        cells[5] = b->est;
        cells[6] = dv[0];
        cells[7] = dv[1];
        cells[8] = dv[2];
        cells[9] = b->note;
        tr_start(d, 0);
        for (size_t c = 0; c < XA_TABLE_COLS; c++)
            cell(d, cols[c], jcs[c], cells[c], &rf, c == 1 && b->conflict);
        en(d);
    }
    en(d); /* w:tbl */
    xa_head_grid_free(&g);
    /* a table is followed by a paragraph (Word wants one before the next
     * table; it also keeps the text off the table's border) */
    {
        pfmt pf = {.after = 0, .line = 240};
        rfmt rf = {.size = 12};
        para(d, &pf, "", &rf, 0);
    }
}

/* ---- header, body, closing ------------------------------------------ */

static void header(dx *d, const xa_report *r)
{
    int cols[2] = {HD_LEFT, HD_RIGHT};
    pfmt c0 = {.jc = "center", .line = 240};
    rfmt organ = {.bold = 1, .size = SZ_ORGAN};
    rfmt nation = {.bold = 1, .size = SZ_NATION};
    rfmt motto = {.bold = 1, .size = SZ_MOTTO};
    rfmt num = {.size = SZ_ORGAN};
    rfmt when = {.italic = 1};
    char *body = NULL, *no = NULL, *date = NULL;

    if (str0(r->body)[0]) {
        body = xa_vi_upper_str(r->body);
    } else {
        char *place = xa_vi_upper_str(r->place);
        if (place) {
            body = malloc(strlen(place) + 16);
            if (body)
                sprintf(body, "%s%s", place[0] ? "UBND XÃ " : "", place);
        }
        free(place);
    }
    no = xa_print_blank(r->number);
    date = xa_print_blank(r->date);
    if (body == NULL || no == NULL || date == NULL) {
        d->err = 1;
        goto out;
    }
    if (r->header_conflict) {
        st(d, "w:p");
        ppr(d, &c0);
        conflict_mark(d);
        en(d);
    }
    tbl_start(d, cols, 2, 0, 0);
    /* row 1: issuing body | nation and motto */
    tr_start(d, 0);
    tc_start(d, HD_LEFT, 1, NULL, NULL);
    para(d, &c0, body, &organ, 0);
    rule(d, HD_LEFT, 1300);
    en(d);
    tc_start(d, HD_RIGHT, 1, NULL, NULL);
    para(d, &c0, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &nation, 0);
    para(d, &c0, "Độc lập - Tự do - Hạnh phúc", &motto, 0);
    rule(d, HD_RIGHT, 3180);
    en(d);
    en(d);
    /* row 2: number | place and date */
    tr_start(d, 0);
    tc_start(d, HD_LEFT, 1, NULL, NULL);
    {
        pfmt pf = {.jc = "center", .before = 120, .line = 240};
        st(d, "w:p");
        ppr(d, &pf);
        runs(d, "Số: ", &num);
        runs(d, no, &num);
        en(d);
    }
    en(d);
    tc_start(d, HD_RIGHT, 1, NULL, NULL);
    {
        pfmt pf = {.jc = "center", .before = 120, .line = 240};
        st(d, "w:p");
        ppr(d, &pf);
        runs(d, r->place, &when);
        if (str0(r->place)[0] && str0(r->date)[0])
            runs(d, ", ", &when);
        runs(d, date, &when);
        en(d);
    }
    en(d);
    en(d);
    en(d); /* w:tbl */
    /* document type, title, rule */
    {
        pfmt pf = {.jc = "center", .before = 360, .after = 0, .keep_next = 1};
        rfmt rf = {.bold = 1};
        char *dt = xa_vi_upper_str(str0(r->doctype)[0] ? r->doctype : "BÁO CÁO");
        if (dt == NULL)
            d->err = 1;
        para(d, &pf, dt ? dt : "", &rf, 0);
        free(dt);
    }
    {
        pfmt pf = {.jc = "center", .after = 0, .keep_next = 1, .left = 567, .right = 567};
        rfmt rf = {.bold = 1};
        para(d, &pf, r->title, &rf, 1);
    }
    rule(d, TEXT_W, TEXT_W / 3);
    {
        pfmt pf = {.after = 120};
        para(d, &pf, "", NULL, 0);
    }
out:
    free(body);
    free(no);
    free(date);
}

/* A heading of more than this many characters is a numbered paragraph:
 * only its number is bold. */
#define HEADING_MAX 160

static void block(dx *d, const xa_report *r, const xa_block *b)
{
    pfmt body = {.jc = "both", .first = INDENT, .after = 120};
    rfmt plain = {0};

    if (is_kind(b, "table")) {
        table(d, r, b);
        return;
    }
    st(d, "w:p");
    if (is_kind(b, "part")) {
        pfmt pf = {.jc = "center", .before = 120, .after = 120, .keep_next = 1};
        rfmt rf = {.bold = 1};
        ppr(d, &pf);
        if (b->conflict)
            conflict_mark(d);
        rich(d, b->num, &rf);
        if (str0(b->num)[0] && str0(b->text)[0])
            runs(d, "\n", &rf);
        rich(d, b->text, &rf);
    } else if (is_kind(b, "heading")) {
        int longp = xa_u8len(b->text) > HEADING_MAX;
        int level = 0; /* dots inside the number: "2.1." is 1 */
        for (const char *p = str0(b->num); *p; p++)
            if (*p == '.' && p[1] && p[1] != ' ')
                level++;
        rfmt rn = {.bold = 1, .italic = !longp && level >= 1 && !is_roman(b->num)};
        rfmt rt = longp ? plain : rn;
        pfmt pf = body;
        pf.keep_next = !longp;
        ppr(d, &pf);
        if (b->conflict)
            conflict_mark(d);
        rich(d, b->num, &rn);
        if (str0(b->num)[0])
            runs(d, " ", &rn);
        rich(d, b->text, &rt);
    } else if (is_kind(b, "bullet")) {
        ppr(d, &body);
        if (b->conflict)
            conflict_mark(d);
        runs(d, str0(b->marker)[0] && strcmp(b->marker, "*") != 0 ? b->marker : "-", &plain);
        runs(d, " ", &plain);
        rich(d, b->text, &plain);
    } else {
        ppr(d, &body);
        if (b->conflict)
            conflict_mark(d);
        rich(d, b->text, &plain);
    }
    en(d);
}

static void closing(dx *d, const xa_report *r)
{
    int cols[2] = {SIG_LEFT, SIG_RIGHT};
    const char *label = str0(r->recipients_label)[0] ? r->recipients_label : "Nơi nhận:";
    pfmt left = {.jc = "left", .line = 240};
    pfmt centre = {.jc = "center", .line = 240, .keep_next = 1};
    rfmt lf = {.bold = 1, .italic = 1, .size = SZ_RECV_LABEL};
    rfmt items = {.size = SZ_RECV};
    rfmt role = {.bold = 1};
    rfmt name = {.bold = 1};

    if (!str0(r->recipients_label)[0] && !str0(r->recipients)[0] && !str0(r->signer_role)[0] &&
        !str0(r->signer_name)[0])
        return;
    {
        pfmt pf = {.after = 0, .keep_next = 1};
        para(d, &pf, "", NULL, 0);
    }
    tbl_start(d, cols, 2, 0, 0);
    tr_start(d, 0);
    tc_start(d, SIG_LEFT, 1, NULL, NULL);
    st(d, "w:p");
    ppr(d, &left);
    if (r->header_conflict)
        conflict_mark(d);
    runs(d, label, &lf);
    en(d);
    for (const char *p = str0(r->recipients); *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        st(d, "w:p");
        ppr(d, &left);
        run(d, p, n, &items);
        en(d);
        p += n;
        if (*p == '\n')
            p++;
    }
    en(d);
    tc_start(d, SIG_RIGHT, 1, NULL, NULL);
    {
        char *up = xa_vi_upper_str(r->signer_role);
        if (up == NULL)
            d->err = 1;
        for (const char *p = up ? up : ""; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            st(d, "w:p");
            ppr(d, &centre);
            run(d, p, n, &role);
            en(d);
            p += n;
            if (*p == '\n')
                p++;
        }
        free(up);
    }
    for (int i = 0; i < 4; i++)
        para(d, &centre, "", NULL, 0);
    {
        pfmt pf = {.jc = "center", .line = 240};
        para(d, &pf, r->signer_name, &name, 0);
    }
    en(d);
    en(d);
    en(d);
}

static void sect(dx *d)
{
    st(d, "w:sectPr");
    st(d, "w:headerReference");
    at(d, "w:type", "default");
    at(d, "r:id", "rIdHeader");
    en(d);
    st(d, "w:headerReference");
    at(d, "w:type", "first");
    at(d, "r:id", "rIdHeaderFirst");
    en(d);
    st(d, "w:pgSz");
    ati(d, "w:w", PAGE_W);
    ati(d, "w:h", PAGE_H);
    en(d);
    st(d, "w:pgMar");
    ati(d, "w:top", MARGIN_TOP);
    ati(d, "w:right", MARGIN_RIGHT);
    ati(d, "w:bottom", MARGIN_BOTTOM);
    ati(d, "w:left", MARGIN_LEFT);
    ati(d, "w:header", HEADER_DIST);
    ati(d, "w:footer", HEADER_DIST);
    ati(d, "w:gutter", 0);
    en(d);
    el(d, "w:titlePg", NULL);
    en(d);
}

static int document_xml(const xa_report *r, dx *d)
{
    if (dx_open(d) < 0)
        return -1;
    st(d, "w:document");
    at(d, "xmlns:w", W_NS);
    at(d, "xmlns:r", R_NS);
    st(d, "w:body");
    header(d, r);
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted || is_kind(b, "row"))
            continue;
        block(d, r, b);
    }
    closing(d, r);
    sect(d);
    en(d);
    en(d);
    return dx_close(d);
}

/* The page number, centred, at the top of every page but the first. */
static int header_xml(dx *d, int with_number)
{
    if (dx_open(d) < 0)
        return -1;
    st(d, "w:hdr");
    at(d, "xmlns:w", W_NS);
    at(d, "xmlns:r", R_NS);
    st(d, "w:p");
    {
        pfmt pf = {.jc = "center", .line = 240};
        ppr(d, &pf);
    }
    if (with_number) {
        static const char *const kinds[] = {"begin", NULL, "separate", NULL, "end"};
        for (int i = 0; i < 5; i++) {
            st(d, "w:r");
            if (kinds[i]) {
                st(d, "w:fldChar");
                at(d, "w:fldCharType", kinds[i]);
                en(d);
            } else if (i == 1) {
                st(d, "w:instrText");
                at(d, "xml:space", "preserve");
                if (xmlTextWriterWriteString(d->w, BAD_CAST " PAGE ") < 0)
                    d->err = 1;
                en(d);
            } else {
                text(d, "2", 1);
            }
            en(d);
        }
    }
    en(d);
    en(d);
    return dx_close(d);
}

static void rfonts(dx *d)
{
    st(d, "w:rFonts");
    at(d, "w:ascii", "Times New Roman");
    at(d, "w:hAnsi", "Times New Roman");
    at(d, "w:eastAsia", "Times New Roman");
    at(d, "w:cs", "Times New Roman");
    en(d);
}

static int styles_xml(dx *d)
{
    if (dx_open(d) < 0)
        return -1;
    st(d, "w:styles");
    at(d, "xmlns:w", W_NS);
    st(d, "w:docDefaults");
    st(d, "w:rPrDefault");
    st(d, "w:rPr");
    rfonts(d);
    eli(d, "w:sz", SZ_BODY);
    eli(d, "w:szCs", SZ_BODY);
    st(d, "w:lang");
    at(d, "w:val", "vi-VN");
    at(d, "w:eastAsia", "vi-VN");
    at(d, "w:bidi", "ar-SA");
    en(d);
    en(d);
    en(d);
    st(d, "w:pPrDefault");
    st(d, "w:pPr");
    st(d, "w:spacing");
    at(d, "w:after", "0");
    at(d, "w:line", "264");
    at(d, "w:lineRule", "auto");
    en(d);
    en(d);
    en(d);
    en(d);
    /* Normal names the font and size too: readers that look at the style
     * (python-docx, some converters) find them there */
    st(d, "w:style");
    at(d, "w:type", "paragraph");
    at(d, "w:default", "1");
    at(d, "w:styleId", "Normal");
    el(d, "w:name", "Normal");
    el(d, "w:qFormat", NULL);
    st(d, "w:rPr");
    rfonts(d);
    eli(d, "w:sz", SZ_BODY);
    eli(d, "w:szCs", SZ_BODY);
    en(d);
    en(d);
    st(d, "w:style");
    at(d, "w:type", "table");
    at(d, "w:default", "1");
    at(d, "w:styleId", "TableNormal");
    el(d, "w:name", "Normal Table");
    st(d, "w:tblPr");
    st(d, "w:tblCellMar");
    static const char *const sides[] = {"w:top", "w:left", "w:bottom", "w:right"};
    for (int i = 0; i < 4; i++) {
        st(d, sides[i]);
        at(d, "w:w", (i & 1) ? "108" : "0");
        at(d, "w:type", "dxa");
        en(d);
    }
    en(d);
    en(d);
    en(d);
    en(d);
    return dx_close(d);
}

static int settings_xml(dx *d)
{
    if (dx_open(d) < 0)
        return -1;
    st(d, "w:settings");
    at(d, "xmlns:w", W_NS);
    eli(d, "w:defaultTabStop", 720);
    st(d, "w:compat");
    st(d, "w:compatSetting");
    at(d, "w:name", "compatibilityMode");
    at(d, "w:uri", "http://schemas.microsoft.com/office/word");
    at(d, "w:val", "15");
    en(d);
    en(d);
    en(d);
    return dx_close(d);
}

static int core_xml(const xa_report *r, dx *d)
{
    if (dx_open(d) < 0)
        return -1;
    st(d, "cp:coreProperties");
    at(d, "xmlns:cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties");
    at(d, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    st(d, "dc:title");
    {
        char *plain = xa_inline_plain(r->title);
        xa_sb o = {0};
        const unsigned char *p = (const unsigned char *)(plain ? plain : "");
        xa_sb_puts(&o, "");
        while (*p) {
            uint32_t cp;
            p += xa_u8next(p, &cp);
            xa_u8put(&o, cp < 0x20 ? ' ' : cp);
        }
        if (xmlTextWriterWriteString(d->w, BAD_CAST(o.p ? o.p : "")) < 0 || plain == NULL ||
            o.failed)
            d->err = 1;
        free(o.p);
        free(plain);
    }
    en(d);
    st(d, "dc:creator");
    if (xmlTextWriterWriteString(d->w, BAD_CAST "xasync") < 0)
        d->err = 1;
    en(d);
    en(d);
    return dx_close(d);
}

static const char CONTENT_TYPES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" "
    "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "<Override PartName=\"/word/settings.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
    "<Override PartName=\"/word/header1.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>"
    "<Override PartName=\"/word/header2.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" "
    "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
    "</Types>";

static const char ROOT_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument\" Target=\"word/document.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
    "</Relationships>";

static const char DOC_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
    "2006/relationships/styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
    "2006/relationships/settings\" Target=\"settings.xml\"/>"
    "<Relationship Id=\"rIdHeader\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
    "2006/relationships/header\" Target=\"header1.xml\"/>"
    "<Relationship Id=\"rIdHeaderFirst\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/header\" Target=\"header2.xml\"/>"
    "</Relationships>";

/* ---- the zip --------------------------------------------------------- */

enum { P_DOC, P_STYLES, P_SETTINGS, P_HDR, P_HDR_FIRST, P_CORE, P_N };

static int zip_fail(zip_error_t *ze, const char *what)
{
    int rc = xa_error_set(XA_EIO, "docx: %s: %s", what, zip_error_strerror(ze));
    zip_error_fini(ze);
    return rc;
}

int xa_report_docx(const xa_report *r, unsigned char **out, size_t *len)
{
    dx parts[P_N];
    struct {
        const char *name;
        const void *data;
        size_t len;
    } files[P_N + 3];
    size_t nf = 0;
    zip_error_t ze;
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    int rc = 0;

    if (r == NULL || out == NULL || len == NULL)
        return xa_error_set(XA_EINVAL, "docx: no report or no output");
    if (r->n > 0 && r->b == NULL)
        return xa_error_set(XA_EINVAL, "docx: %zu blocks but no block array", r->n);
    memset(parts, 0, sizeof(parts));
    if (document_xml(r, &parts[P_DOC]) < 0 || styles_xml(&parts[P_STYLES]) < 0 ||
        settings_xml(&parts[P_SETTINGS]) < 0 || header_xml(&parts[P_HDR], 1) < 0 ||
        header_xml(&parts[P_HDR_FIRST], 0) < 0 || core_xml(r, &parts[P_CORE]) < 0) {
        rc = xa_error_set(XA_ENOMEM, "docx: could not write the document's XML");
        goto out;
    }
#define ADD(n, p, l)                                                                               \
    do {                                                                                           \
        files[nf].name = (n);                                                                      \
        files[nf].data = (p);                                                                      \
        files[nf].len = (l);                                                                       \
        nf++;                                                                                      \
    } while (0)
#define ADDX(n, i) ADD(n, xmlBufferContent(parts[i].buf), (size_t)xmlBufferLength(parts[i].buf))
    ADD("[Content_Types].xml", CONTENT_TYPES, sizeof(CONTENT_TYPES) - 1);
    ADD("_rels/.rels", ROOT_RELS, sizeof(ROOT_RELS) - 1);
    ADDX("docProps/core.xml", P_CORE);
    ADDX("word/document.xml", P_DOC);
    ADD("word/_rels/document.xml.rels", DOC_RELS, sizeof(DOC_RELS) - 1);
    ADDX("word/styles.xml", P_STYLES);
    ADDX("word/settings.xml", P_SETTINGS);
    ADDX("word/header1.xml", P_HDR);
    ADDX("word/header2.xml", P_HDR_FIRST);

    zip_error_init(&ze);
    src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (src == NULL) {
        rc = zip_fail(&ze, "zip buffer");
        goto out;
    }
    zip_source_keep(src);
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (za == NULL) {
        rc = zip_fail(&ze, "zip");
        goto out;
    }
    for (size_t i = 0; i < nf; i++) {
        zip_source_t *s = zip_source_buffer(za, files[i].data, files[i].len, 0);
        zip_int64_t idx = s ? zip_file_add(za, files[i].name, s, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            if (s)
                zip_source_free(s);
            rc = xa_error_set(XA_EIO, "docx: zip %s: %s", files[i].name, zip_strerror(za));
            zip_discard(za);
            za = NULL;
            goto out;
        }
        /* a fixed time (1 January 2024 00:00): the same report, the same bytes */
        zip_file_set_mtime(za, (zip_uint64_t)idx, (time_t)1704067200, 0);
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 6);
    }
    if (zip_close(za) < 0) {
        rc = xa_error_set(XA_EIO, "docx: zip: %s", zip_strerror(za));
        zip_discard(za);
        za = NULL;
        goto out;
    }
    za = NULL;
    {
        zip_stat_t zs;
        unsigned char *buf;
        if (zip_source_stat(src, &zs) < 0 || !(zs.valid & ZIP_STAT_SIZE) ||
            zip_source_open(src) < 0) {
            rc = xa_error_set(XA_EIO, "docx: reading the zip back failed");
            goto out;
        }
        buf = malloc(zs.size ? zs.size : 1);
        if (buf == NULL || zip_source_read(src, buf, zs.size) != (zip_int64_t)zs.size) {
            free(buf);
            zip_source_close(src);
            rc = buf ? xa_error_set(XA_EIO, "docx: reading the zip back failed")
                     : xa_error_set(XA_ENOMEM, "out of memory");
            goto out;
        }
        zip_source_close(src);
        *out = buf;
        *len = (size_t)zs.size;
    }
out:
    if (src)
        zip_source_free(src);
    for (int i = 0; i < P_N; i++)
        dx_free(&parts[i]);
    return rc;
}
