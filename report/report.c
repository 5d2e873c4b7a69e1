/*
 * The report model (report.h): importing the seed's text form into fields,
 * reading a report back, paths a clerk knows, edits, fractional positions.
 *
 * The importer takes a file as commune offices have it: a UTF-8 BOM, CRLF,
 * no-break spaces (read as spaces), tabs or runs of two or more spaces
 * between cells.  It reads line by line and places each line:
 *   header   the issuing body ("UBND HUYỆN …", "UBND XÃ …") and the motto
 *            ("CỘNG HÒA …", "Độc lập - Tự do - Hạnh phúc"), one under the
 *            other or side by side (a tab between); "Số: …" and "<place>,
 *            ngày …" on one line or two; the document type; the title (a
 *            line Word wrapped goes on in lowercase)
 *   part     "Phần thứ …", and lines in capitals (a part's title)
 *   heading  "I. …", "2. …", "2.1. …", "1.2 …"
 *   bullet   "- …", "+ …", "* …", "– …", "• …"
 *   table    from a "TT" or "STT" header to its last row; the table goes on
 *            across blank lines and page breaks, whether the header is
 *            repeated in full, in part, as its column-number row alone, or
 *            not at all (then the row numbering must go on), over any
 *            number of pages; each repeat is kept (head2, break)
 *   signature "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "CHỦ TỊCH" … and
 *            "(Đã ký)": the role's lines, then the name; before or after
 *            the recipients, or beside them after a tab
 *   recipients "Nơi nhận:" and its "- …" lines
 *   para     anything else
 * A line that cannot be placed without losing something (a row with a
 * cell past the last column, a row missing a column in a file that keeps
 * trailing tabs, a row with no header above it, text after the signature)
 * refuses the import, naming the line and why; with XA_IMPORT_FORCE it is
 * kept as a paragraph and listed.
 *
 * Invariants:
 *   1. an import writes all of a report in one transaction, or nothing;
 *   2. every block has a unique id under the report and a pos; the order
 *      of a report is (pos, id), so concurrent inserts never clash;
 *   3. no line and no cell of the input is dropped: it is placed, or the
 *      import is refused (or, forced, it is a paragraph).
 */
#include "xasync/report.h"

#include "report_int.h"
#include "xasync/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NCOLS 10 /* TT, name, unit, prev, plan, est, vs_prev, vs_plan, remain, note */

/* ---- small strings ------------------------------------------------------ */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup0(const char *s)
{
    return dupn(s ? s : "", s ? strlen(s) : 0);
}

/* ---- fractional positions ------------------------------------------------ */

static const char digits62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int d62(char c)
{
    const char *p = c ? strchr(digits62, c) : NULL;

    return p ? (int)(p - digits62) : -1;
}

int xa_pos_between(const char *a, const char *b, char *out, size_t cap)
{
    size_t i = 0, n = 0;
    unsigned char rnd[4];

    /* Walk the common prefix, then pick a digit strictly between; where
     * the digits touch, keep a's and go one deeper.  The result is never a
     * prefix of b, so a random tail keeps it below b. */
    for (;; i++) {
        int da = a[0] && i < strlen(a) ? d62(a[i]) : 0;
        int db = b[0] && i < strlen(b) ? d62(b[i]) : 62;
        if (da < 0 || db < 0)
            return xa_error_set(XA_EINVAL, "malformed position");
        if (n + 8 >= cap)
            return xa_error_set(XA_ETOOBIG, "position too long");
        if (db - da > 1) {
            out[n++] = digits62[(da + db) / 2];
            break;
        }
        out[n++] = digits62[da];
        if (db - da == 1) {
            /* b is beyond: any digit after a's rest will do; take a's next
             * digit's midpoint to 62. */
            for (i++;; i++) {
                int na = a[0] && i < strlen(a) ? d62(a[i]) : 0;
                if (n + 8 >= cap)
                    return xa_error_set(XA_ETOOBIG, "position too long");
                if (62 - na > 1) {
                    out[n++] = digits62[(na + 62) / 2];
                    break;
                }
                out[n++] = digits62[na];
            }
            break;
        }
    }
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 7, sizeof(rnd));
    for (size_t k = 0; k < sizeof(rnd); k++)
        out[n++] = digits62[rnd[k] % 62];
    out[n] = '\0';
    return 0;
}

/* The i-th of n evenly spread positions, 3 digits (an import). */
static void pos_nth(size_t i, size_t n, char out[8])
{
    unsigned long span = 62UL * 62 * 62, v = (unsigned long)((i + 1) * (span / (n + 1)));

    out[0] = digits62[(v / (62 * 62)) % 62];
    out[1] = digits62[(v / 62) % 62];
    out[2] = digits62[v % 62];
    out[3] = '\0';
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct pblock {
    char kind[8];
    char *text, *num, *marker;
    char *cells[NCOLS]; /* rows */
    char *head, *head2; /* tables; head2: each repeated header, separated by a "\f" line */
    char *brk;          /* tables: ids of the rows the repeats come before, space-separated */
    size_t table;       /* rows: index of their table block */
} pblock;

typedef struct parsed {
    char *number, *place, *date, *doctype, *title, *signer_role, *signer_name, *recipients;
    char *recipients_label, *body, *motto;
    size_t n, cap;
    pblock *b;
    int force;
    size_t nbad;
    char **bad; /* lines that could not be placed: "line N: why" */
} parsed;

static void parsed_free(parsed *p)
{
    char **h[] = {&p->number,      &p->place,       &p->date,       &p->doctype,          &p->title,
                  &p->signer_role, &p->signer_name, &p->recipients, &p->recipients_label, &p->body,
                  &p->motto};

    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        free(*h[i]);
    for (size_t i = 0; i < p->n; i++) {
        free(p->b[i].text);
        free(p->b[i].num);
        free(p->b[i].marker);
        free(p->b[i].head);
        free(p->b[i].head2);
        free(p->b[i].brk);
        for (int k = 0; k < NCOLS; k++)
            free(p->b[i].cells[k]);
    }
    for (size_t i = 0; i < p->nbad; i++)
        free(p->bad[i]);
    free(p->bad);
    free(p->b);
    memset(p, 0, sizeof(*p));
}

static pblock *push(parsed *p, const char *kind)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        pblock *b = realloc(p->b, cap * sizeof(*b));
        if (b == NULL)
            return NULL;
        p->b = b;
        p->cap = cap;
    }
    memset(&p->b[p->n], 0, sizeof(p->b[0]));
    snprintf(p->b[p->n].kind, sizeof(p->b[0].kind), "%s", kind);
    return &p->b[p->n++];
}

/* Append a line to a multi-line text field. */
static int append_line(char **dst, const char *line)
{
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(line);
    char *s = realloc(*dst, a + b + 2);

    if (s == NULL)
        return -1;
    if (a)
        s[a++] = '\n';
    memcpy(s + a, line, b + 1);
    *dst = s;
    return 0;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int blank(const char *s)
{
    return *skip_ws(s) == '\0';
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* s trimmed of spaces and tabs at both ends, malloc'd. */
static char *trim_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return dupn(s, n);
}

/* Uppercase check for a part's title: no ASCII lowercase letter, at least
 * 4 letters, and no lowercase Vietnamese letter. */
static const char *const lower_vi[] = {
    "à", "á", "ả", "ã", "ạ", "ă", "â", "đ", "è", "é", "ê", "ì", "í", "ò", "ó", "ô", "ơ",
    "ù", "ú", "ư", "ý", "ế", "ề", "ể", "ệ", "ố", "ồ", "ộ", "ớ", "ờ", "ợ", "ự", "ứ", "ừ",
    "ậ", "ấ", "ầ", "ắ", "ặ", "ỉ", "ị", "ọ", "ụ", "ỏ", "ỗ", "ủ", "ử", "ữ", "ẩ", "ẫ", "ằ",
    "ẳ", "ẵ", "ẻ", "ẽ", "ĩ", "õ", "ũ", "ỳ", "ỷ", "ỹ", "ỵ", "ổ", "ở", "ỡ", "ễ", "ừ", "ử"};

static int all_caps(const char *s)
{
    int letters = 0;

    for (const char *p = s; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            return 0;
        if (*p >= 'A' && *p <= 'Z')
            letters++;
    }
    for (size_t i = 0; i < sizeof(lower_vi) / sizeof(lower_vi[0]); i++)
        if (strstr(s, lower_vi[i]))
            return 0;
    return letters >= 4;
}

/* Does s begin with a lowercase letter (ASCII or Vietnamese)? */
static int starts_lower(const char *s)
{
    if (*s >= 'a' && *s <= 'z')
        return 1;
    for (size_t i = 0; i < sizeof(lower_vi) / sizeof(lower_vi[0]); i++)
        if (starts(s, lower_vi[i]))
            return 1;
    return 0;
}

/* "I. ", "IV. " -> length of the number with its dot, else 0. */
static size_t roman_num(const char *s)
{
    size_t n = 0;

    while (s[n] == 'I' || s[n] == 'V' || s[n] == 'X')
        n++;
    if (n == 0 || n > 4 || s[n] != '.' || (s[n + 1] != ' ' && s[n + 1] != '\0'))
        return 0;
    return n + 1;
}

/* "2. ", "2.1. ", "1.2 " -> length of the number (with a trailing dot if
 * any), else 0.  A bare "6 " is not a number: it starts a sentence. */
static size_t arabic_num(const char *s)
{
    size_t n = 0;
    int dots = 0;

    while ((s[n] >= '0' && s[n] <= '9') || (s[n] == '.' && n > 0 && s[n - 1] != '.')) {
        if (s[n] == '.')
            dots++;
        n++;
    }
    if (n == 0 || dots == 0 || n > 12 || s[n] != ' ')
        return 0;
    return n;
}

/* A bullet's marker: "- ", "+ ", "* ", "– " (en dash), "• " -> its length. */
static size_t bullet_mark(const char *s)
{
    static const char *const marks[] = {"-", "+", "*", "–", "•"};

    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t n = strlen(marks[i]);
        if (strncmp(s, marks[i], n) == 0 && (s[n] == ' ' || s[n] == '\t'))
            return n;
    }
    return 0;
}

/* ---- cells ------------------------------------------------------------- */

typedef struct cells {
    int n;
    char *c[64];
    int spaced; /* split on runs of spaces, not tabs */
} cells;

static void cells_free(cells *c)
{
    for (int i = 0; i < c->n && i < 64; i++)
        free(c->c[i]);
    c->n = 0;
}

/* Split a line into cells: on tabs when it has one, else on runs of two or
 * more spaces.  Each cell trimmed.  n counts every cell (at most 64 kept). */
static int split_cells(const char *line, cells *out)
{
    const char *p = line;
    int tabs = strchr(line, '\t') != NULL;

    memset(out, 0, sizeof(*out));
    out->spaced = !tabs;
    for (;;) {
        const char *e;
        if (tabs) {
            e = strchr(p, '\t');
        } else {
            e = strstr(p, "  ");
        }
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (out->n < 64 && (out->c[out->n] = trim_dup(p, len)) == NULL)
            return -1;
        out->n++;
        if (e == NULL)
            break;
        p = e + 1;
        if (!tabs)
            while (*p == ' ')
                p++;
    }
    return 0;
}

/* "TT", "STT", "Stt", "T.T" */
static int tt_word(const char *c)
{
    char w[8];
    size_t k = 0;

    for (const char *p = c; *p && k < sizeof(w) - 1; p++)
        if (*p != '.')
            w[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    w[k] = '\0';
    return strcmp(w, "TT") == 0 || strcmp(w, "STT") == 0;
}

static int is_table_header(const char *line)
{
    cells c;
    int yes;

    if (strchr(line, '\t') == NULL || split_cells(line, &c) < 0)
        return 0;
    yes = c.n >= 3 && tt_word(c.c[0]);
    cells_free(&c);
    return yes;
}

/* The column-number row under a header: "A<tab>B<tab>I<tab>2…" or
 * "1<tab>2<tab>3…". */
static int is_colnum_row(const char *line)
{
    cells c;
    int yes;

    if (strchr(line, '\t') == NULL || split_cells(line, &c) < 0)
        return 0;
    yes = c.n >= 5 && c.n <= 64 &&
          (strcmp(c.c[0], "A") == 0 || strcmp(c.c[0], "1") == 0 || strcmp(c.c[0], "(1)") == 0) &&
          (strcmp(c.c[1], "B") == 0 || strcmp(c.c[1], "2") == 0 || strcmp(c.c[1], "(2)") == 0);
    for (int i = 0; yes && i < c.n && i < 64; i++)
        yes = strlen(c.c[i]) <= 16;
    cells_free(&c);
    return yes;
}

/* A header's continuation line: its first cell empty, and no figure in it. */
static int is_head_cont(const char *line)
{
    cells c;
    int yes = 1;

    if (line[0] != '\t' || blank(line) || split_cells(line, &c) < 0)
        return 0;
    for (int i = 0; yes && i < c.n && i < 64; i++)
        for (const char *q = c.c[i]; *q; q++)
            if (*q >= '0' && *q <= '9' && !(i > 0 && strstr(c.c[i], "tháng")) &&
                !strstr(c.c[i], "năm") && !strstr(c.c[i], "(%)")) {
                yes = 0;
                break;
            }
    cells_free(&c);
    return yes;
}

static int is_roman_tt(const char *c)
{
    return c[0] && strspn(c, "IVX") == strlen(c);
}

/* A row's number: the TT cell when it is digits, else -1. */
static long row_number(const char *c)
{
    if (c[0] == '\0' || strspn(c, "0123456789") != strlen(c) || strlen(c) > 4)
        return -1;
    return strtol(c, NULL, 10);
}

/* ---- lines that cannot be placed ------------------------------------------ */

static int unplaced(parsed *p, size_t lineno, const char *why, const char *line)
{
    char w[400];
    char **nb = realloc(p->bad, (p->nbad + 1) * sizeof(*nb));
    int cut = (int)strlen(line);

    if (nb == NULL)
        return -1;
    p->bad = nb;
    if (cut > 60) {
        cut = 60;
        while (cut > 0 && ((unsigned char)line[cut] & 0xc0) == 0x80)
            cut--;
    }
    snprintf(w, sizeof(w), "line %zu: %s (\"%.*s%s\")", lineno, why, cut, line,
             cut < (int)strlen(line) ? "…" : "");
    if ((p->bad[p->nbad] = dup0(w)) == NULL)
        return -1;
    p->nbad++;
    if (p->force) {
        pblock *b = push(p, "para");
        if (b == NULL || (b->text = dup0(skip_ws(line))) == NULL)
            return -1;
    }
    return 0;
}

/* ---- the signature ------------------------------------------------------- */

/* "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "(Đã ký)" */
static int role_start(const char *t)
{
    static const char *const pre[] = {"TM.", "TM ", "T/M", "KT.", "KT ", "TL.", "TUQ.", "Q. "};

    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
        if (starts(t, pre[i]))
            return 1;
    return all_caps(t) && strstr(t, "CHỦ TỊCH") != NULL && strlen(t) < 60;
}

static int role_line(const char *t)
{
    return role_start(t) || (all_caps(t) && strlen(t) < 60) || (t[0] == '(' && strlen(t) < 60);
}

/* A person's name: 2 to 7 words, each capitalised, no digits. */
static int name_line(const char *t)
{
    int words = 0, at_start = 1;

    if (strlen(t) > 60 || all_caps(t))
        return 0;
    for (const char *q = t; *q; q++) {
        if ((*q >= '0' && *q <= '9') || *q == ':' || *q == ';' || *q == ',' || *q == '.')
            return 0;
        if (*q == ' ') {
            at_start = 1;
            continue;
        }
        if (at_start) {
            words++;
            if (starts_lower(q))
                return 0;
            at_start = 0;
        }
    }
    return words >= 2 && words <= 7;
}

/* Take signature lines (roles, then the name) from lines[*i...]; stops at
 * the first line that is neither, or at "Nơi nhận". */
static int take_signature(parsed *p, char **lines, size_t nl, size_t *i)
{
    while (*i < nl) {
        const char *t = skip_ws(lines[*i]);
        if (*t == '\0') {
            (*i)++;
            continue;
        }
        if (starts(t, "Nơi nhận"))
            break;
        if (p->signer_name == NULL && role_line(t)) {
            char *x = trim_dup(t, strlen(t));
            int rc = x ? append_line(&p->signer_role, x) : -1;
            free(x);
            if (rc < 0)
                return -1;
        } else if (p->signer_name == NULL && p->signer_role && name_line(t)) {
            if ((p->signer_name = trim_dup(t, strlen(t))) == NULL)
                return -1;
        } else {
            break;
        }
        (*i)++;
    }
    return 0;
}

/* Does a signature begin at line i: a role, then within a few lines a name,
 * and nothing after but the recipients? */
static int signature_here(char **lines, size_t nl, size_t i)
{
    const char *t = skip_ws(lines[i]);
    int n = 0, name = 0;

    if (!role_start(t))
        return 0;
    for (size_t j = i; j < nl; j++) {
        const char *u = skip_ws(lines[j]);
        if (*u == '\0')
            continue;
        if (starts(u, "Nơi nhận"))
            return name;
        if (++n > 8)
            return 0;
        if (!name && name_line(u))
            name = 1;
        else if (name || !role_line(u))
            return 0;
    }
    return name;
}

/* "Nơi nhận:" and its items; a Word export may put the signature beside
 * them, after a tab. */
static int take_recipients(parsed *p, char **lines, size_t nl, size_t *i)
{
    char **side = NULL;
    size_t nside = 0;
    int rc = 0;

    for (; rc == 0 && *i < nl; (*i)++) {
        const char *raw = lines[*i], *t = skip_ws(raw);
        const char *tab = strchr(t, '\t');
        size_t left = tab ? (size_t)(tab - t) : strlen(t);
        char *l;

        if (*t == '\0')
            continue;
        if (p->recipients_label != NULL && !bullet_mark(t) && raw[0] != '\t' &&
            !(raw[0] == ' ' && tab))
            break;
        if (raw[0] == '\t' || (left == 0)) {
            /* only the right side: a signature line */
            tab = t - 1;
        } else {
            l = trim_dup(t, left);
            if (l == NULL)
                return -1;
            if (p->recipients_label == NULL)
                p->recipients_label = l;
            else {
                rc = append_line(&p->recipients, l);
                free(l);
            }
        }
        if (tab && !blank(tab)) {
            char **ns = realloc(side, (nside + 1) * sizeof(*ns));
            if (ns == NULL)
                return -1;
            side = ns;
            side[nside++] = trim_dup(tab, strlen(tab));
        }
    }
    if (rc == 0 && nside) {
        size_t k = 0;
        rc = take_signature(p, side, nside, &k);
        for (; rc == 0 && k < nside; k++) /* beside the recipients, not a signature */
            rc = append_line(&p->recipients, side[k]);
    }
    for (size_t k = 0; k < nside; k++)
        free(side[k]);
    free(side);
    return rc;
}

/* ---- the table ------------------------------------------------------------ */

/* Record a page break before the next row: the repeated header (may be
 * empty: the table only went on after blank lines). */
static int add_break(parsed *p, size_t ti, const char *head)
{
    char id[24];
    pblock *t = &p->b[ti];

    snprintf(id, sizeof(id), "%s%04zu", t->brk ? " " : "", p->n + 1);
    if (t->brk) {
        size_t a = strlen(t->brk);
        char *s = realloc(t->brk, a + strlen(id) + 1);
        if (s == NULL)
            return -1;
        memcpy(s + a, id, strlen(id) + 1);
        t->brk = s;
        if (append_line(&t->head2, "\f") < 0)
            return -1;
    } else if ((t->brk = dup0(id)) == NULL) {
        return -1;
    }
    if (head[0] == '\0')
        return t->head2 ? 0 : ((t->head2 = dup0("")) ? 0 : -1);
    if (t->head2 && t->head2[0] == '\0') {
        free(t->head2);
        t->head2 = NULL;
    }
    return append_line(&t->head2, head);
}

/* Header lines from lines[*i]: the "TT" line, its continuations, the
 * column-number row.  Appended to *dst. */
static int take_head(char **lines, size_t nl, size_t *i, char **dst)
{
    int first = 1;

    while (*i < nl && !blank(lines[*i]) &&
           ((first &&
             (is_table_header(lines[*i]) || is_colnum_row(lines[*i]) || is_head_cont(lines[*i]))) ||
            (!first && (is_head_cont(lines[*i]) || is_colnum_row(lines[*i]))))) {
        if (append_line(dst, lines[*i]) < 0)
            return -1;
        (*i)++;
        first = 0;
    }
    return 0;
}

/* Does this line go on with the table after blank lines: a row whose TT
 * continues the numbering (or starts the next group, or is a "-" sub-row)? */
static int row_goes_on(const char *line, long last)
{
    cells c;
    int yes = 0;

    if (split_cells(line, &c) < 0)
        return 0;
    if (c.n >= 5) {
        long k = row_number(c.c[0]);
        yes = (k >= 0 && k == last + 1) || is_roman_tt(c.c[0]) || strcmp(c.c[0], "-") == 0 ||
              strcmp(c.c[0], "+") == 0;
    }
    cells_free(&c);
    return yes;
}

static int take_table(
    parsed *p, xa_import_result *res, char **lines, size_t nl, size_t *ip, int keeps_trailing_tabs)
{
    size_t i = *ip, ti;
    long last = 0;
    pblock *t = push(p, "table");

    if (t == NULL)
        return -1;
    ti = p->n - 1;
    res->tables++;
    if (take_head(lines, nl, &i, &p->b[ti].head) < 0)
        return -1;
    while (i < nl) {
        const char *r = lines[i];
        cells c;
        if (blank(r)) {
            size_t j = i;
            char *head = NULL;
            while (j < nl && blank(lines[j]))
                j++;
            if (j >= nl)
                break;
            if (is_table_header(lines[j]) || is_colnum_row(lines[j]) || is_head_cont(lines[j])) {
                /* a page break and the header repeated (in full or part) */
                i = j;
                if (take_head(lines, nl, &i, &head) < 0 || add_break(p, ti, head) < 0) {
                    free(head);
                    return -1;
                }
                free(head);
                continue;
            }
            if (row_goes_on(lines[j], last)) {
                /* a page break with no header: the rows go on */
                if (add_break(p, ti, "") < 0)
                    return -1;
                i = j;
                continue;
            }
            break;
        }
        if (is_table_header(r)) {
            char *head = NULL;
            if (take_head(lines, nl, &i, &head) < 0 || add_break(p, ti, head) < 0) {
                free(head);
                return -1;
            }
            free(head);
            continue;
        }
        if (split_cells(r, &c) < 0)
            return -1;
        if (c.spaced && c.n < 6) {
            cells_free(&c);
            break; /* a sentence, not a row */
        }
        /* empty cells past the last column carry nothing */
        while (c.n > NCOLS && (c.n > 64 || c.c[c.n - 1][0] == '\0')) {
            if (c.n <= 64)
                free(c.c[c.n - 1]);
            c.n--;
        }
        if (c.n > NCOLS) {
            char why[200];
            snprintf(why, sizeof(why),
                     "a table row with %d cells; the table has %d columns, so \"%.40s\" (cell %d)"
                     " has no column",
                     c.n, NCOLS, c.c[NCOLS], NCOLS + 1);
            cells_free(&c);
            if (unplaced(p, i + 1, why, r) < 0)
                return -1;
            i++;
            continue;
        }
        if (c.n < NCOLS && keeps_trailing_tabs && !c.spaced) {
            char why[200];
            snprintf(why, sizeof(why),
                     "a table row with %d columns; the table has %d (TT, Chỉ tiêu, Đơn vị tính, KQ,"
                     " KH, Ước, 3 derived, Ghi chú)",
                     c.n, NCOLS);
            cells_free(&c);
            if (unplaced(p, i + 1, why, r) < 0)
                return -1;
            i++;
            continue;
        }
        pblock *b = push(p, "row");
        if (b == NULL) {
            cells_free(&c);
            return -1;
        }
        b->table = ti;
        for (int k = 0; k < NCOLS; k++) {
            b->cells[k] = k < c.n ? c.c[k] : dup0("");
            if (b->cells[k] == NULL)
                return -1;
            if (k && b->cells[k][0])
                res->cells++;
        }
        c.n = 0;
        if (row_number(b->cells[0]) >= 0)
            last = row_number(b->cells[0]);
        res->rows++;
        i++;
    }
    *ip = i;
    return 0;
}

/* ---- the header ------------------------------------------------------------- */

static int is_motto(const char *t)
{
    size_t deco = strspn(t, "-_=*~ ");

    return starts(t, "CỘNG HÒA XÃ HỘI") || starts(t, "CỘNG HOÀ XÃ HỘI") || starts(t, "Độc lập") ||
           (deco >= 3 && t[deco] == '\0');
}

static int is_number_line(const char *t)
{
    return starts(t, "Số:") || starts(t, "Số :");
}

/* "Hoàng Kim, ngày 5 tháng 7 năm 2024" */
static int take_place_date(parsed *p, const char *t)
{
    const char *c = strstr(t, ", ngày");

    if (c == NULL)
        return 0;
    free(p->place);
    free(p->date);
    p->place = trim_dup(t, (size_t)(c - t));
    p->date = dup0(c + 2);
    return p->place && p->date ? 1 : -1;
}

/* One piece of a header line (a line, or a cell of a Word export's
 * two-column header).  1 placed, 0 not a header piece, -1 no memory. */
static int header_piece(parsed *p, const char *t)
{
    if (is_number_line(t)) {
        const char *v = skip_ws(strchr(t, ':') + 1);
        const char *d = strstr(v, ", ngày");
        /* "Số: 15/BC-UBND      Hoàng Kim, ngày …" on one line */
        if (d) {
            const char *q = d;
            while (q > v && q[-1] != ' ')
                q--;
            while (q > v && !(q[-1] == ' ' && q - 1 > v && q[-2] == ' '))
                q--;
            if (q > v) {
                free(p->number);
                p->number = trim_dup(v, (size_t)(q - v));
                return p->number && take_place_date(p, skip_ws(q)) > 0 ? 1 : -1;
            }
        }
        free(p->number);
        p->number = trim_dup(v, strlen(v));
        return p->number ? 1 : -1;
    }
    if (strstr(t, ", ngày") && strstr(t, "tháng"))
        return take_place_date(p, t);
    if (is_motto(t))
        return append_line(&p->motto, t) < 0 ? -1 : 1;
    return 0;
}

static size_t skip_blank(char **lines, size_t nl, size_t i)
{
    while (i < nl && blank(lines[i]))
        i++;
    return i;
}

static int blank_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static char *nl_fold(const char *s, size_t n)
{
    return trim_dup(s, n);
}

/* Parse the whole text.  Lines are taken as they are (CR and trailing
 * spaces removed, non-breaking spaces made spaces). */
static int parse(const char *text, size_t len, parsed *p, xa_import_result *res)
{
    char **lines = NULL;
    size_t nl = 0, i = 0;
    int rc = 0, keeps_tabs = 0;

    /* split into lines */
    for (size_t s = 0; s <= len;) {
        size_t e = s, l, k = 0;
        char *d;
        while (e < len && text[e] != '\n')
            e++;
        l = e - s;
        while (l && (text[s + l - 1] == '\r' || text[s + l - 1] == ' '))
            l--;
        char **nlines = realloc(lines, (nl + 1) * sizeof(*lines));
        if (nlines == NULL || (d = malloc(l + 1)) == NULL) {
            if (nlines)
                lines = nlines;
            goto nomem;
        }
        lines = nlines;
        for (size_t q = 0; q < l; q++) {
            if ((unsigned char)text[s + q] == 0xc2 && q + 1 < l &&
                (unsigned char)text[s + q + 1] == 0xa0) {
                d[k++] = ' '; /* NBSP */
                q++;
            } else {
                d[k++] = text[s + q];
            }
        }
        while (k && d[k - 1] == ' ')
            k--;
        d[k] = '\0';
        if (k && d[k - 1] == '\t' && strchr(d, '\t') != d + k - 1)
            keeps_tabs = 1;
        lines[nl++] = d;
        s = e + 1;
    }

#define NEXT_NONEMPTY()                                                                            \
    do {                                                                                           \
        while (i < nl && blank(lines[i]))                                                          \
            i++;                                                                                   \
    } while (0)

    /* the header: issuing body, motto, number, place and date, document type */
    for (i = skip_blank(lines, nl, 0); i < nl && p->doctype == NULL;
         i = skip_blank(lines, nl, i + 1)) {
        const char *ln = skip_ws(lines[i]);
        cells c;
        int placed = 0;
        if (strchr(ln, '\t') || (strstr(ln, "    ") && (is_number_line(ln) || is_motto(ln)))) {
            /* a Word export: body and motto side by side */
            if (is_number_line(ln) && !strchr(ln, '\t')) {
                if ((rc = header_piece(p, ln)) < 0)
                    goto nomem;
                continue;
            }
            if (split_cells(ln, &c) < 0)
                goto nomem;
            for (int k = 0; k < c.n && k < 64; k++) {
                if (c.c[k][0] == '\0')
                    continue;
                int hp = header_piece(p, c.c[k]);
                if (hp < 0) {
                    cells_free(&c);
                    goto nomem;
                }
                if (hp == 0 && all_caps(c.c[k]) && append_line(&p->body, c.c[k]) < 0) {
                    cells_free(&c);
                    goto nomem;
                }
                if (hp == 0 && !all_caps(c.c[k])) {
                    cells_free(&c);
                    goto notreport;
                }
            }
            cells_free(&c);
            continue;
        }
        if ((placed = header_piece(p, ln)) < 0)
            goto nomem;
        if (placed)
            continue;
        if (all_caps(ln) && strlen(ln) < 80) {
            /* the document type once the number or date is read, or when
             * what follows is not header any more; before, the issuing body */
            size_t j = i + 1;
            while (j < nl && blank(lines[j]))
                j++;
            const char *nx = j < nl ? skip_ws(lines[j]) : "";
            int more_header = is_number_line(nx) || strstr(nx, ", ngày") || is_motto(nx) ||
                              strchr(nx, '\t') || all_caps(nx);
            if (strlen(ln) < 40 && (p->number || p->date || !more_header)) {
                p->doctype = trim_dup(ln, strlen(ln));
                if (p->doctype == NULL)
                    goto nomem;
                i++;
                break;
            }
            if (append_line(&p->body, ln) < 0)
                goto nomem;
            continue;
        }
        break;
    }
    NEXT_NONEMPTY();
    if (p->doctype == NULL || i >= nl) {
    notreport:
        rc = xa_error_set(XA_EINVAL,
                          "not a report: no document type and title at the top (line %zu)",
                          i < nl ? i + 1 : nl);
        goto out;
    }
    p->title = nl_fold(lines[i], strlen(lines[i]));
    if (p->title == NULL)
        goto nomem;
    /* a title Word wrapped: the next line, with no blank between, goes on
     * in lowercase */
    for (i++; i < nl && !blank(lines[i]) && starts_lower(skip_ws(lines[i])); i++)
        if (append_line(&p->title, skip_ws(lines[i])) < 0)
            goto nomem;

    /* body */
    for (; rc == 0 && i < nl; i++) {
        const char *ln = lines[i], *t = skip_ws(ln);
        size_t k;
        pblock *b;

        if (*t == '\0')
            continue;
        if (is_table_header(ln)) {
            if (take_table(p, res, lines, nl, &i, keeps_tabs) < 0)
                goto nomem;
            i--;
            continue;
        }
        if (starts(t, "Nơi nhận") || (p->signer_role == NULL && signature_here(lines, nl, i))) {
            /* the end: recipients and signature, in either order */
            for (int round = 0; round < 2 && i < nl; round++) {
                NEXT_NONEMPTY();
                if (i >= nl)
                    break;
                if (starts(skip_ws(lines[i]), "Nơi nhận") && p->recipients_label == NULL) {
                    if (take_recipients(p, lines, nl, &i) < 0)
                        goto nomem;
                } else if (p->signer_role == NULL) {
                    if (take_signature(p, lines, nl, &i) < 0)
                        goto nomem;
                }
            }
            /* anything after the signature */
            for (; i < nl; i++) {
                if (blank(lines[i]))
                    continue;
                if (unplaced(p, i + 1, "text after the signature", lines[i]) < 0)
                    goto nomem;
                if (p->force)
                    res->paras++;
            }
            break;
        }
        if (starts(t, "Phần thứ")) {
            b = push(p, "part");
            if (b == NULL || (b->num = dup0(t)) == NULL || (b->text = dup0("")) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        if ((k = roman_num(t)) || (k = arabic_num(t))) {
            b = push(p, "heading");
            if (b == NULL || (b->num = dupn(t, k)) == NULL ||
                (b->text = dup0(skip_ws(t + k))) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        if ((k = bullet_mark(t)) != 0) {
            b = push(p, "bullet");
            if (b == NULL || (b->marker = dupn(t, k)) == NULL ||
                (b->text = dup0(skip_ws(t + k))) == NULL)
                goto nomem;
            res->bullets++;
            continue;
        }
        if (strchr(t, '\t')) {
            cells c;
            int row = 0;
            if (split_cells(t, &c) < 0)
                goto nomem;
            row = c.n >= 5 && (row_number(c.c[0]) >= 0 || is_roman_tt(c.c[0]));
            cells_free(&c);
            if (row) {
                if (unplaced(p, i + 1, "a table row with no table header (TT or STT) above it", t) <
                    0)
                    goto nomem;
                if (p->force)
                    res->paras++;
                continue;
            }
        }
        if (all_caps(t)) {
            b = push(p, "part");
            if (b == NULL || (b->num = dup0("")) == NULL || (b->text = dup0(t)) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        b = push(p, "para");
        if (b == NULL || (b->text = dup0(t)) == NULL)
            goto nomem;
        res->paras++;
    }
    if (rc == 0 && p->n == 0)
        rc = xa_error_set(XA_EINVAL, "not a report: nothing after the title");
#undef NEXT_NONEMPTY
out:
    for (size_t k = 0; k < nl; k++)
        free(lines[k]);
    free(lines);
    return rc;
nomem:
    rc = xa_error_set(XA_ENOMEM, "out of memory");
    goto out;
}

void xa_import_result_free(xa_import_result *r)
{
    for (size_t i = 0; r && i < r->nwarn; i++)
        free(r->warn[i]);
    if (r) {
        free(r->warn);
        memset(r, 0, sizeof(*r));
    }
}

/* ---- writing ------------------------------------------------------------- */

typedef struct writer {
    xa_store *st;
    const char *scope, *author;
    char entity[XA_ENTITY_MAX + 1];
} writer;

static int put(writer *w, const char *entity, const char *field, const char *text)
{
    char *j;
    int rc;

    if (text == NULL)
        return 0;
    j = xa_rvalue_encode(text);
    if (j == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_store_set(w->st, w->scope, entity, field, j, w->author, 0, NULL);
    free(j);
    return rc;
}

static int block_entity(char *out, size_t cap, const char *report, const char *id)
{
    if ((size_t)snprintf(out, cap, "%s/b/%s", report, id) >= cap)
        return xa_error_set(XA_EINVAL, "the report id is too long");
    return 0;
}

/* Kind and period from the title and date, when not given. */
static void default_kind_period(const parsed *p, char *kind, char *period, size_t cap)
{
    const char *y = p->date ? strstr(p->date, "năm ") : NULL;
    int half = p->title && strstr(p->title, "6 tháng đầu năm") != NULL;

    snprintf(kind, cap, "%s",
             p->title && strncmp(p->title, "Sơ kết", strlen("Sơ kết")) == 0 && half
                 ? "so-ket-6-thang"
                 : "bao-cao");
    if (y && strlen(y + strlen("năm ")) >= 4)
        snprintf(period, cap, "%.4s%s", y + strlen("năm "), half ? "-h1" : "");
    else
        snprintf(period, cap, "unknown");
}

int xa_report_import(xa_store *st,
                     const char *scope,
                     const char *id,
                     const char *kind,
                     const char *period,
                     const char *text,
                     size_t len,
                     const char *author,
                     xa_import_result *res)
{
    return xa_report_import_flags(st, scope, id, kind, period, text, len, author, 0, res);
}

/* What kind of file this is when it is not UTF-8 text: a message, or NULL. */
static const char *not_text(const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t nul_odd = 0, nul_even = 0;

    if (len >= 5 && memcmp(text, "%PDF-", 5) == 0)
        return "the file is a PDF, not a text report: open it and save it as text (.txt, UTF-8)"
               " / tệp PDF, không phải báo cáo dạng văn bản: lưu lại dưới dạng .txt (UTF-8)";
    for (size_t i = 0; i < len && i < 4096; i++)
        if (u[i] == 0)
            *(i % 2 ? &nul_odd : &nul_even) += 1;
    if ((len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) ||
        nul_odd + nul_even > (len < 4096 ? len : 4096) / 4)
        return "the file is UTF-16 text: save it as UTF-8 (in Notepad: Save As, Encoding UTF-8)"
               " / tệp mã UTF-16: lưu lại với mã UTF-8";
    if (memchr(text, '\0', len))
        return "the file holds NUL bytes: not a text report";
    if (!xa_utf8_valid(text, len))
        return "the file is not UTF-8 text (save it as UTF-8) / tệp không phải văn bản UTF-8";
    return NULL;
}

int xa_report_import_flags(xa_store *st,
                           const char *scope,
                           const char *id,
                           const char *kind,
                           const char *period,
                           const char *text,
                           size_t len,
                           const char *author,
                           unsigned flags,
                           xa_import_result *res)
{
    char dkind[64], dperiod[64];
    parsed p;
    writer w = {st, scope, author, ""};
    xa_field f;
    const char *why;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(res, 0, sizeof(*res));
    p.force = (flags & XA_IMPORT_FORCE) != 0;
    if ((rc = xa_check_entity(id)) < 0)
        return rc;
    if (strlen(id) + 12 > XA_ENTITY_MAX)
        return xa_error_set(XA_EINVAL, "the report id '%s' is too long", id);
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3; /* a UTF-8 byte order mark (Notepad, Word) */
        len -= 3;
    }
    if (len == 0 || (len <= 4096 && blank_text(text, len)))
        return xa_error_set(XA_EINVAL, "the file is empty: not a report / tệp rỗng");
    if ((why = not_text(text, len)) != NULL)
        return xa_error_set(XA_EINVAL, "%s", why);
    rc = xa_store_get(st, scope, id, "title", &f);
    if (rc == 0) {
        xa_field_clear(&f);
        return xa_error_set(XA_EEXISTS, "report %s already exists; give another --id", id);
    }
    rc = parse(text, len, &p, res);
    if (rc == 0 && p.nbad && !p.force) {
        /* content would be lost: refuse, saying what and where */
        char msg[1200];
        size_t o = 0;
        for (size_t k = 0; k < p.nbad && k < 3 && o < sizeof(msg); k++)
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s", k ? "; " : "", p.bad[k]);
        rc =
            xa_error_set(XA_EINVAL,
                         "%zu line%s cannot be placed, nothing was imported: %s%s (fix the file, or"
                         " import with --force to keep %s as paragraphs)",
                         p.nbad, p.nbad == 1 ? "" : "s", msg, p.nbad > 3 ? "; …" : "",
                         p.nbad == 1 ? "it" : "them");
    }
    if (rc == 0 && p.nbad) {
        /* --force: kept as paragraphs, listed */
        res->warn = calloc(p.nbad, sizeof(*res->warn));
        if (res->warn == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        for (size_t k = 0; rc == 0 && k < p.nbad; k++) {
            size_t n = strlen(p.bad[k]) + 32;
            if ((res->warn[k] = malloc(n)) == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            snprintf(res->warn[k], n, "%s: kept as a paragraph", p.bad[k]);
            res->nwarn++;
        }
    }
    if (rc < 0) {
        parsed_free(&p);
        xa_import_result_free(res);
        return rc;
    }

    default_kind_period(&p, dkind, dperiod, sizeof(dkind));
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(&w, id, "kind", kind ? kind : dkind);
    if (rc == 0)
        rc = put(&w, id, "period", period ? period : dperiod);
    if (rc == 0)
        rc = put(&w, id, "doctype", p.doctype);
    if (rc == 0)
        rc = put(&w, id, "title", p.title);
    if (rc == 0)
        rc = put(&w, id, "number", p.number);
    if (rc == 0)
        rc = put(&w, id, "place", p.place);
    if (rc == 0)
        rc = put(&w, id, "date", p.date);
    if (rc == 0)
        rc = put(&w, id, "recipients_label", p.recipients_label);
    if (rc == 0)
        rc = put(&w, id, "recipients", p.recipients);
    if (rc == 0)
        rc = put(&w, id, "signer_role", p.signer_role);
    if (rc == 0)
        rc = put(&w, id, "signer_name", p.signer_name);
    if (rc == 0)
        rc = put(&w, id, "body", p.body);
    if (rc == 0)
        rc = put(&w, id, "motto", p.motto);
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        static const char *const cols[NCOLS] = {"tt",  "name",    "unit",    "prev",   "plan",
                                                "est", "vs_prev", "vs_plan", "remain", "note"};
        pblock *b = &p.b[i];
        char bid[24], ent[XA_ENTITY_MAX + 1], pos[8];

        snprintf(bid, sizeof(bid), "%04zu", i + 1);
        rc = block_entity(ent, sizeof(ent), id, bid);
        pos_nth(i, p.n, pos);
        if (rc == 0)
            rc = put(&w, ent, "kind", b->kind);
        if (rc == 0)
            rc = put(&w, ent, "pos", pos);
        if (rc == 0 && b->text)
            rc = put(&w, ent, "text", b->text);
        if (rc == 0 && b->num && b->num[0])
            rc = put(&w, ent, "num", b->num);
        if (rc == 0 && b->marker)
            rc = put(&w, ent, "marker", b->marker);
        if (rc == 0 && b->head)
            rc = put(&w, ent, "head", b->head);
        if (rc == 0 && b->head2)
            rc = put(&w, ent, "head2", b->head2);
        if (rc == 0 && b->brk)
            rc = put(&w, ent, "break", b->brk);
        if (rc == 0 && strcmp(b->kind, "row") == 0) {
            char tid[24];
            snprintf(tid, sizeof(tid), "%04zu", b->table + 1);
            rc = put(&w, ent, "table", tid);
            /* The derived columns are kept as printed, blank included, on
             * every indicator row: a blank there is what the report says. */
            int group = b->cells[0][0] && strspn(b->cells[0], "IVX") == strlen(b->cells[0]);
            for (int c = 0; rc == 0 && c < NCOLS; c++)
                if (b->cells[c][0] || (!group && c >= 6 && c <= 8))
                    rc = put(&w, ent, cols[c], b->cells[c]);
            if (rc == 0 && !group) {
                char pf[256];
                snprintf(pf, sizeof(pf), "%s|%s|%s", b->cells[3], b->cells[4], b->cells[5]);
                rc = put(&w, ent, "printed_for", pf);
            }
        }
    }
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0) {
        xa_store_rollback(st);
        xa_import_result_free(res);
    }
    parsed_free(&p);
    return rc;
}
