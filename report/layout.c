/*
 * What the printed forms of a report share (report_int.h): the conversion
 * leftovers of the source text read as a person would write them, the
 * indicator table's header lines as a grid of merged cells, the table's
 * column widths, UTF-8 checks and Vietnamese capitals.  report_html.c and
 * docx.c print from these; the text form never does (it gives the imported
 * text back exactly).
 */
#include "report_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ------------------------------------------------------------ */

size_t xa_u8next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = XA_U8_BAD;
        return 1;
    }
    if (s[1] < lo || s[1] > hi) {
        *cp = XA_U8_BAD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = XA_U8_BAD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

void xa_u8put(xa_sb *o, uint32_t cp)
{
    char b[4];
    size_t n;

    if (cp > 0x10FFFF)
        cp = XA_U8_BAD;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    xa_sb_add(o, b, n);
}

uint32_t xa_vi_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 0x20;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 0x20;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return (c & 1) ? c - 1 : c; /* ă ĩ ũ đ ... */
    if (c >= 0x139 && c <= 0x148)
        return (c & 1) ? c : c - 1;
    if (c == 0x1A1 || c == 0x1B0)
        return c - 1; /* ơ ư */
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
        return (c & 1) ? c - 1 : c; /* ạ ả ấ ... ỹ */
    return c;
}

size_t xa_u8len(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 0;

    while (*p) {
        uint32_t cp;
        p += xa_u8next(p, &cp);
        n++;
    }
    return n;
}

/* ---- conversion leftovers ------------------------------------------- */

/* The text went through a converter (pandoc's Markdown) before it reached
 * the report: "**bold**", "*italic*", "$formula$" with "\%" in it, "\%"
 * and other backslash escapes, "<http://…>" autolinks.  They are kept in
 * the fields (the text export gives them back); printed forms show the
 * bold text, the italic text, the plain formula, "%" and the address. */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A closing "**" for an opening at s[i]: a "**" after i+2 whose previous
 * byte is not a space.  -1 if none. */
static long find_bold_close(const char *s, size_t n, size_t from)
{
    for (size_t j = from; j + 1 < n; j++) {
        if (s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] == '*' && s[j + 1] == '*' && j > from && !is_space((unsigned char)s[j - 1]))
            return (long)j;
    }
    return -1;
}

/* A closing "*" for an opening single "*": not part of "**", after a
 * non-space, not followed by a letter or digit. */
static long find_italic_close(const char *s, size_t n, size_t from)
{
    for (size_t j = from; j < n; j++) {
        if (s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] != '*')
            continue;
        if (j + 1 < n && s[j + 1] == '*') {
            j++;
            continue;
        }
        if (j > from && !is_space((unsigned char)s[j - 1]) &&
            (j + 1 >= n || !isalnum((unsigned char)s[j + 1])))
            return (long)j;
    }
    return -1;
}

/* A closing "$" for a formula opening at s[i] (pandoc's rule: the opening
 * is followed by a non-space, the closing preceded by a non-space and not
 * followed by a digit). */
static long find_math_close(const char *s, size_t n, size_t i)
{
    if (i + 1 >= n || is_space((unsigned char)s[i + 1]) || s[i + 1] == '$')
        return -1;
    for (size_t j = i + 1; j < n; j++) {
        if (s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] == '$') {
            if (is_space((unsigned char)s[j - 1]))
                return -1;
            if (j + 1 < n && isdigit((unsigned char)s[j + 1]))
                return -1;
            return (long)j;
        }
    }
    return -1;
}

/* A formula as written by hand: "\%" is "%", "\times" "×", "\div" "÷",
 * "\cdot" "·", "\," and "\ " a space, "\{" etc. the character; the rest
 * is kept. */
static void math_plain(xa_sb *o, const char *s, size_t n)
{
    static const struct {
        const char *cmd, *out;
    } cmds[] = {{"times", "×"}, {"div", "÷"}, {"cdot", "·"},   {"leq", "≤"},
                {"geq", "≥"},   {"neq", "≠"}, {"approx", "≈"}, {"pm", "±"},
                {"le", "≤"},    {"ge", "≥"},  {"ne", "≠"}};

    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            xa_sb_add(o, s + i, 1);
            continue;
        }
        if (ispunct((unsigned char)s[i + 1]) || s[i + 1] == ' ') {
            xa_sb_add(o, s[i + 1] == ',' ? " " : s + i + 1, 1);
            i++;
            continue;
        }
        size_t k = i + 1;
        while (k < n && isalpha((unsigned char)s[k]))
            k++;
        size_t len = k - i - 1, c;
        for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
            if (strlen(cmds[c].cmd) == len && strncmp(s + i + 1, cmds[c].cmd, len) == 0)
                break;
        if (c < sizeof(cmds) / sizeof(cmds[0])) {
            xa_sb_puts(o, cmds[c].out);
            i = k - 1;
        } else {
            xa_sb_add(o, s + i, 1);
        }
    }
}

static void flush(xa_sb *buf, int flags, xa_run_fn fn, void *ctx)
{
    if (buf->n)
        fn(ctx, buf->p, buf->n, flags);
    buf->n = 0;
    if (buf->p)
        buf->p[0] = '\0';
}

int xa_inline_runs(const char *text, xa_run_fn fn, void *ctx)
{
    const char *s = text ? text : "";
    size_t n = strlen(s);
    xa_sb buf = {0};
    int flags = 0;
    long bold_end = -1, italic_end = -1;

    for (size_t i = 0; i < n;) {
        char c = s[i];

        if ((long)i == bold_end) {
            flush(&buf, flags, fn, ctx);
            flags &= ~XA_RUN_BOLD;
            bold_end = -1;
            i += 2;
            continue;
        }
        if ((long)i == italic_end) {
            flush(&buf, flags, fn, ctx);
            flags &= ~XA_RUN_ITALIC;
            italic_end = -1;
            i += 1;
            continue;
        }
        if (c == '\\' && i + 1 < n && ispunct((unsigned char)s[i + 1])) {
            xa_sb_add(&buf, s + i + 1, 1);
            i += 2;
            continue;
        }
        if (c == '$') {
            long j = find_math_close(s, n, i);
            if (j > 0) {
                math_plain(&buf, s + i + 1, (size_t)j - i - 1);
                i = (size_t)j + 1;
                continue;
            }
        }
        if (c == '*' && i + 1 < n && s[i + 1] == '*' && !(flags & XA_RUN_BOLD) && i + 2 < n &&
            !is_space((unsigned char)s[i + 2])) {
            long j = find_bold_close(s, n, i + 2);
            if (j > 0 && (italic_end < 0 || j < italic_end)) {
                flush(&buf, flags, fn, ctx);
                flags |= XA_RUN_BOLD;
                bold_end = j;
                i += 2;
                continue;
            }
        }
        if (c == '*' && !(i + 1 < n && s[i + 1] == '*') && !(flags & XA_RUN_ITALIC) && i + 1 < n &&
            !is_space((unsigned char)s[i + 1]) && (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
            long j = find_italic_close(s, n, i + 1);
            if (j > 0 && (bold_end < 0 || j < bold_end)) {
                flush(&buf, flags, fn, ctx);
                flags |= XA_RUN_ITALIC;
                italic_end = j;
                i += 1;
                continue;
            }
        }
        if (c == '<') {
            static const char *const schemes[] = {"http://", "https://", "mailto:"};
            for (size_t k = 0; k < 3; k++) {
                size_t L = strlen(schemes[k]);
                if (strncmp(s + i + 1, schemes[k], L) == 0) {
                    size_t j = i + 1 + L;
                    while (j < n && s[j] != '>' && !is_space((unsigned char)s[j]) && s[j] != '<')
                        j++;
                    if (j < n && s[j] == '>') {
                        xa_sb_add(&buf, s + i + 1, j - i - 1);
                        i = j + 1;
                        goto next;
                    }
                }
            }
        }
        xa_sb_add(&buf, s + i, 1);
        i++;
    next:;
    }
    flush(&buf, flags, fn, ctx);
    {
        int failed = buf.failed;
        free(buf.p);
        return failed ? -1 : 0;
    }
}

static void plain_run(void *ctx, const char *s, size_t n, int flags)
{
    (void)flags;
    xa_sb_add(ctx, s, n);
}

char *xa_inline_plain(const char *text)
{
    xa_sb o = {0};

    xa_sb_puts(&o, "");
    if (xa_inline_runs(text, plain_run, &o) < 0 || o.failed) {
        free(o.p);
        return NULL;
    }
    return o.p;
}

/* ---- the header grid ------------------------------------------------ */

/* The header lines of an indicator table as a grid: a cell with text is
 * the top-left cell of a merged cell; the empty cells to its right that no
 * merged cell above covers join it (a column span), then the rows below
 * join it while every cell under it is empty (a row span).  So
 *   TT | Chỉ tiêu | … | Kết quả thực hiện |   |   | Còn phải … | Ghi chú
 *      |          |   | 6 tháng đầu năm   |   |   |            |
 *      |          |   | Ước | So với cùng kỳ | So với kế hoạch | |
 * gives "Kết quả thực hiện" over three columns, "6 tháng đầu năm" under
 * it, and TT, Chỉ tiêu, Còn phải thực hiện, Ghi chú over three rows.  The
 * last line, whose every cell is filled (the column numbers A B 1 2 …),
 * stays a line of single cells. */
void xa_head_grid_free(xa_head_grid *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->nrows * g->ncols; i++)
        free(g->cells ? g->cells[i].text : NULL);
    free(g->cells);
    memset(g, 0, sizeof(*g));
}

int xa_head_grid_build(const char *head, size_t ncols, xa_head_grid *g)
{
    const char *p = head ? head : "";
    size_t nrows = 0;

    memset(g, 0, sizeof(*g));
    if (*p == '\0' || ncols == 0)
        return 0;
    for (const char *q = p; q; q = strchr(q, '\n')) {
        nrows++;
        q++;
        if (*q == '\0')
            break;
    }
    g->cells = calloc(nrows * ncols, sizeof(*g->cells));
    if (g->cells == NULL)
        return -1;
    g->nrows = nrows;
    g->ncols = ncols;
    /* split */
    for (size_t r = 0; r < nrows; r++) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        size_t c = 0;

        while (p <= end) {
            const char *tab = memchr(p, '\t', (size_t)(end - p));
            const char *ce = tab ? tab : end;

            if (c < ncols) {
                g->cells[r * ncols + c].text = strndup(p, (size_t)(ce - p));
                if (g->cells[r * ncols + c].text == NULL) {
                    xa_head_grid_free(g);
                    return -1;
                }
            } else {
                /* more cells than columns: the last one takes the rest */
                xa_head_cell *last = &g->cells[r * ncols + ncols - 1];
                size_t L = strlen(last->text), add = (size_t)(ce - p);
                char *t = realloc(last->text, L + add + 2);
                if (t == NULL) {
                    xa_head_grid_free(g);
                    return -1;
                }
                t[L] = ' ';
                memcpy(t + L + 1, p, add);
                t[L + 1 + add] = '\0';
                last->text = t;
            }
            c++;
            p = ce + 1;
        }
        for (; c < ncols; c++) {
            g->cells[r * ncols + c].text = strdup("");
            if (g->cells[r * ncols + c].text == NULL) {
                xa_head_grid_free(g);
                return -1;
            }
        }
        p = end;
        if (*p == '\n')
            p++;
    }
    /* merge */
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            xa_head_cell *a = &g->cells[r * ncols + c];

            if (a->covered || a->text[0] == '\0') {
                if (!a->covered)
                    a->colspan = a->rowspan = 1; /* an empty cell alone */
                continue;
            }
            size_t c1 = c + 1;
            while (c1 < ncols && g->cells[r * ncols + c1].text[0] == '\0' &&
                   !g->cells[r * ncols + c1].covered)
                c1++;
            size_t r1 = r + 1;
            for (; r1 < nrows; r1++) {
                size_t k;
                for (k = c; k < c1; k++)
                    if (g->cells[r1 * ncols + k].text[0] || g->cells[r1 * ncols + k].covered)
                        break;
                if (k < c1)
                    break;
            }
            a->colspan = c1 - c;
            a->rowspan = r1 - r;
            for (size_t rr = r; rr < r1; rr++)
                for (size_t k = c; k < c1; k++)
                    if (rr != r || k != c)
                        g->cells[rr * ncols + k].covered = 1;
        }
    }
    return 0;
}

/* ---- column widths -------------------------------------------------- */

/* Widths are reckoned in twips of an 11 pt Times line: a digit 5.5 pt, a
 * capital 7.5 pt, a small letter 5 pt, punctuation and spaces 3 pt; bold
 * adds a tenth.  Only an estimate: it decides the proportions. */
static unsigned char_tw(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return 110;
    if (cp == ' ' || cp == '.' || cp == ',' || cp == ':' || cp == ';' || cp == '(' || cp == ')' ||
        cp == '/' || cp == '-' || cp == '\'' || cp == '"')
        return 62;
    if (cp == '%' || cp == '=' || cp == '*' || cp == '+')
        return 125;
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE) ||
        (cp >= 0x100 && cp <= 0x1EFF && xa_vi_upper(cp) == cp && (cp & 1) == 0))
        return 150;
    return 100;
}

/* The width of the widest word of s, and of s on one line, in twips (a
 * formula may break after its "=": see xa_head_numbering_row()). */
static void measure(const char *s, int bold, unsigned *word, unsigned *all)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    unsigned w = 0;

    *word = 0;
    *all = 0;
    while (*p) {
        uint32_t cp;
        unsigned cw;
        p += xa_u8next(p, &cp);
        cw = char_tw(cp);
        if (bold)
            cw += cw / 10;
        *all += cw;
        if (cp == ' ' || cp == '\n' || cp == '\t') {
            w = 0;
        } else {
            w += cw;
            if (w > *word)
                *word = w;
            if (cp == '=')
                w = 0;
        }
    }
}

int xa_head_numbering_row(const xa_head_grid *g, size_t row)
{
    if (g == NULL || g->nrows < 2 || row != g->nrows - 1)
        return 0;
    for (size_t c = 0; c < g->ncols; c++)
        if (g->cells[row * g->ncols + c].covered || g->cells[row * g->ncols + c].text[0] == '\0')
            return 0;
    return 1;
}

/* Column widths for the indicator table's ten columns, in per-mille of the
 * table's width (16.5 cm, the text's width on A4 with the decree's
 * margins), as a browser sizes an automatic table: each column at least as
 * wide as its widest word (header or row; figures never wrap), the rest
 * shared in proportion to how much more its longest cell wants.  Row
 * names are the longest cells, so "Chỉ tiêu" is the widest column. */
void xa_table_widths(const xa_report *r,
                     const xa_block *t,
                     const xa_head_grid *g,
                     unsigned widths[XA_TABLE_COLS])
{
    const double total = 9354;     /* twips */
    const unsigned pad = 114 + 40; /* the cell's margins and a little air */
    unsigned minw[XA_TABLE_COLS] = {0}, want[XA_TABLE_COLS] = {0};
    double total_min = 0, total_extra = 0;

    for (size_t r0 = 0; g && r0 < g->nrows; r0++)
        for (size_t c = 0; c < g->ncols && c < XA_TABLE_COLS; c++) {
            const xa_head_cell *h = &g->cells[r0 * g->ncols + c];
            unsigned wd, all;
            if (h->covered || h->colspan != 1)
                continue;
            char *plain = xa_inline_plain(h->text);
            int numbering = xa_head_numbering_row(g, r0);
            measure(plain ? plain : h->text, !numbering, &wd, &all);
            free(plain);
            if (numbering)
                wd = wd * 10 / 11; /* printed at 10 pt */
            if (wd > minw[c])
                minw[c] = wd;
        }
    for (size_t k = 0; k < r->n; k++) {
        const xa_block *b = &r->b[k];
        char d[3][64];
        const char *cells[XA_TABLE_COLS];

        if (b->deleted || strcmp(b->kind ? b->kind : "", "row") != 0 ||
            strcmp(b->table ? b->table : "", t->id ? t->id : "") != 0)
            continue;
        xa_report_derived(b, d[0], d[1], d[2], sizeof(d[0]));
        cells[0] = b->tt;
        cells[1] = b->name;
        cells[2] = b->unit;
        cells[3] = b->prev;
        cells[4] = b->plan;
        cells[5] = b->est;
        cells[6] = d[0];
        cells[7] = d[1];
        cells[8] = d[2];
        cells[9] = b->note;
        for (size_t c = 0; c < XA_TABLE_COLS; c++) {
            unsigned wd, all;
            measure(cells[c], 0, &wd, &all);
            if (wd > minw[c])
                minw[c] = wd;
            if (all > want[c])
                want[c] = all;
        }
    }
    for (size_t c = 0; c < XA_TABLE_COLS; c++) {
        if (minw[c] < 250)
            minw[c] = 250;
        minw[c] += pad;
        want[c] += pad;
        if (want[c] < minw[c])
            want[c] = minw[c];
        total_min += minw[c];
        total_extra += want[c] - minw[c];
    }
    double spare = total > total_min ? total - total_min : 0;
    double sum = 0, w[XA_TABLE_COLS];
    for (size_t c = 0; c < XA_TABLE_COLS; c++) {
        double extra = (double)(want[c] - minw[c]);
        w[c] = (double)minw[c] + (total_extra > 0 ? spare * extra / total_extra : spare / 10);
        sum += w[c];
    }
    unsigned acc = 0;
    for (size_t c = 0; c < XA_TABLE_COLS; c++) {
        widths[c] = (unsigned)(w[c] * 1000.0 / sum);
        acc += widths[c];
    }
    widths[1] += 1000 - acc; /* rounding to the name column */
}

/* ---- small text helpers --------------------------------------------- */

char *xa_vi_upper_str(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    xa_sb o = {0};

    xa_sb_puts(&o, "");
    while (*p) {
        uint32_t cp;
        p += xa_u8next(p, &cp);
        xa_u8put(&o, xa_vi_upper(cp));
    }
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    return o.p;
}

/* A number or date with the day still to be written by hand ("/BC-UBND",
 * "ngày tháng 7 năm 2024") printed with room for it, as such documents
 * are issued: "        /BC-UBND", "ngày         tháng 7 năm 2024" (eight no-break
 * spaces, U+00A0, so no reader collapses them). */
#define NBSP3 "\xc2\xa0\xc2\xa0\xc2\xa0"
#define NBSP5 NBSP3 "\xc2\xa0\xc2\xa0"
char *xa_print_blank(const char *s)
{
    xa_sb o = {0};
    const char *at;

    s = s ? s : "";
    xa_sb_puts(&o, "");
    if (s[0] == '/') {
        xa_sb_puts(&o, NBSP5 NBSP3);
        xa_sb_puts(&o, s);
    } else if ((at = strstr(s, "ngày tháng")) != NULL) {
        xa_sb_add(&o, s, (size_t)(at - s) + strlen("ngày"));
        xa_sb_puts(&o, " " NBSP5 NBSP3);
        xa_sb_puts(&o, at + strlen("ngày"));
    } else {
        xa_sb_puts(&o, s);
    }
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    return o.p;
}
