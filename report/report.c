/*
 * The report model (report.h): importing the seed's text form into fields,
 * reading a report back, paths a clerk knows, edits, fractional positions.
 *
 * The importer reads line by line (blank lines separate nothing but
 * paragraphs) and places each line:
 *   header   "Số: …", "<place>, ngày …", the document type, the title
 *   part     "Phần thứ …", and lines in capitals (a part's title)
 *   heading  "I. …", "2. …", "2.1. …", "1.2 …"
 *   bullet   "- …", "+ …", "* …"
 *   table    from a "TT<tab>…" header to the last row with tabs; a second
 *            header inside it (the page break) is kept as head2
 *   recipients "Nơi nhận:" and its "- …" lines, then the signer's role and
 *            name
 *   para     anything else (and what could not be placed, with a warning)
 *
 * Invariants:
 *   1. an import writes all of a report in one transaction, or nothing;
 *   2. every block has a unique id under the report and a pos; the order
 *      of a report is (pos, id), so concurrent inserts never clash;
 *   3. no line of the input is dropped: what is not placed is a paragraph.
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
    char *head, *head2; /* tables */
    size_t brk;         /* tables: index of the row the repeat comes before (0: none) */
    size_t table;       /* rows: index of their table block */
} pblock;

typedef struct parsed {
    char *number, *place, *date, *doctype, *title, *signer_role, *signer_name, *recipients;
    char *recipients_label;
    size_t n, cap;
    pblock *b;
} parsed;

static void parsed_free(parsed *p)
{
    free(p->number);
    free(p->place);
    free(p->date);
    free(p->doctype);
    free(p->title);
    free(p->signer_role);
    free(p->signer_name);
    free(p->recipients);
    free(p->recipients_label);
    for (size_t i = 0; i < p->n; i++) {
        free(p->b[i].text);
        free(p->b[i].num);
        free(p->b[i].marker);
        free(p->b[i].head);
        free(p->b[i].head2);
        for (int k = 0; k < NCOLS; k++)
            free(p->b[i].cells[k]);
    }
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

/* Uppercase check for a part's title: no ASCII lowercase letter, at least
 * 4 letters, and no lowercase Vietnamese letter we know of (a lowercase
 * UTF-8 letter in Latin Extended is followed in Unicode by... we simply
 * require that the line equals itself upper-cased for ASCII and contains no
 * byte sequence of the common lowercase Vietnamese vowels). */
static int all_caps(const char *s)
{
    static const char *const lower[] = {
        "à", "á", "ả", "ã", "ạ", "ă", "â", "đ", "è", "é", "ê", "ì", "í", "ò", "ó", "ô", "ơ",
        "ù", "ú", "ư", "ý", "ế", "ề", "ể", "ệ", "ố", "ồ", "ộ", "ớ", "ờ", "ợ", "ự", "ứ", "ừ",
        "ậ", "ấ", "ầ", "ắ", "ặ", "ỉ", "ị", "ọ", "ụ", "ỏ", "ỗ", "ủ", "ử", "ữ", "ẩ", "ẫ", "ằ",
        "ẳ", "ẵ", "ẻ", "ẽ", "ĩ", "õ", "ũ", "ỳ", "ỷ", "ỹ", "ỵ", "ổ", "ở", "ỡ", "ễ"};
    int letters = 0;

    for (const char *p = s; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            return 0;
        if (*p >= 'A' && *p <= 'Z')
            letters++;
    }
    for (size_t i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
        if (strstr(s, lower[i]))
            return 0;
    return letters >= 4;
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

static int split_tabs(const char *line, char *cells[], int max)
{
    int n = 0;
    const char *p = line;

    for (;;) {
        const char *t = strchr(p, '\t');
        size_t len = t ? (size_t)(t - p) : strlen(p);
        if (n < max) {
            /* trim spaces around a cell */
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\r'))
                len--;
            while (len && *p == ' ') {
                p++;
                len--;
            }
            cells[n] = dupn(p, len);
        }
        n++;
        if (t == NULL)
            break;
        p = t + 1;
    }
    return n;
}

static int is_table_header(const char *line)
{
    return strncmp(line, "TT\t", 3) == 0;
}

/* A line of a table's header: "TT<tab>…", a continuation (first cell
 * empty), or the column letters "A<tab>B<tab>…". */
static int head_line(const char *line)
{
    return strchr(line, '\t') != NULL &&
           (is_table_header(line) || line[0] == '\t' || strncmp(line, "A\tB\t", 4) == 0);
}

/* Parse the whole text.  Lines are taken as they are (trailing spaces and
 * CR removed); blank lines only end a table or the recipients. */
static int parse(const char *text, size_t len, parsed *p, xa_import_result *res)
{
    char **lines = NULL;
    size_t nl = 0, i = 0;
    int rc = 0;

    /* split into lines */
    for (size_t s = 0; s <= len;) {
        size_t e = s;
        while (e < len && text[e] != '\n')
            e++;
        size_t l = e - s;
        while (l && (text[s + l - 1] == '\r' || text[s + l - 1] == ' '))
            l--;
        char **nlines = realloc(lines, (nl + 1) * sizeof(*lines));
        if (nlines == NULL)
            goto nomem;
        lines = nlines;
        if ((lines[nl] = dupn(text + s, l)) == NULL)
            goto nomem;
        nl++;
        s = e + 1;
    }

#define NEXT_NONEMPTY()                                                                            \
    do {                                                                                           \
        while (i < nl && lines[i][0] == '\0')                                                      \
            i++;                                                                                   \
    } while (0)

    /* header */
    NEXT_NONEMPTY();
    if (i < nl && (strncmp(lines[i], "Số:", 4) == 0 || strncmp(lines[i], "Số :", 5) == 0)) {
        const char *v = skip_ws(strchr(lines[i], ':') + 1);
        p->number = dup0(v);
        i++;
        NEXT_NONEMPTY();
    }
    if (i < nl && strstr(lines[i], ", ngày") != NULL) {
        const char *c = strstr(lines[i], ", ngày");
        p->place = dupn(lines[i], (size_t)(c - lines[i]));
        p->date = dup0(c + 2);
        i++;
        NEXT_NONEMPTY();
    }
    if (i < nl && all_caps(lines[i]) && strlen(lines[i]) < 40) {
        p->doctype = dup0(lines[i]);
        i++;
        NEXT_NONEMPTY();
    }
    if (p->doctype == NULL || i >= nl) {
        rc = xa_error_set(XA_EINVAL,
                          "not a report: no document type and title at the top (line %zu)",
                          i < nl ? i + 1 : nl);
        goto out;
    }
    p->title = dup0(lines[i]);
    i++;

    /* body */
    for (; rc == 0 && i < nl; i++) {
        const char *ln = lines[i];
        size_t k;
        pblock *b;

        if (ln[0] == '\0')
            continue;
        if (is_table_header(ln)) {
            pblock *t = push(p, "table");
            size_t ti;
            if (t == NULL)
                goto nomem;
            ti = p->n - 1;
            res->tables++;
            /* header lines: the "TT" line, lines continuing it (first cell
             * empty), and the column letters ("A<tab>B<tab>…") */
            while (i < nl && head_line(lines[i]))
                if (append_line(&p->b[ti].head, lines[i++]) < 0)
                    goto nomem;
            for (; i < nl; i++) {
                const char *r = lines[i];
                if (r[0] == '\0') {
                    /* a blank line: the table goes on only if a repeated
                     * header follows (a page break) */
                    size_t j = i;
                    while (j < nl && lines[j][0] == '\0')
                        j++;
                    if (j < nl && is_table_header(lines[j]) && p->b[ti].head2 == NULL) {
                        i = j;
                        while (i < nl && head_line(lines[i]))
                            if (append_line(&p->b[ti].head2, lines[i++]) < 0)
                                goto nomem;
                        i--;
                        p->b[ti].brk = p->n; /* the next row */
                        continue;
                    }
                    break;
                }
                if (strchr(r, '\t') == NULL)
                    break;
                b = push(p, "row");
                if (b == NULL)
                    goto nomem;
                b->table = ti;
                int nc = split_tabs(r, b->cells, NCOLS);
                if (nc < NCOLS) {
                    rc = xa_error_set(XA_EINVAL,
                                      "line %zu: a table row with %d columns; the table has %d"
                                      " (TT, Chỉ tiêu, Đơn vị tính, KQ, KH, Ước, 3 derived, Ghi"
                                      " chú)",
                                      i + 1, nc, NCOLS);
                    goto out;
                }
                for (int c = 0; c < NCOLS; c++)
                    if (b->cells[c] == NULL && (b->cells[c] = dup0("")) == NULL)
                        goto nomem;
                    else if (c && b->cells[c][0])
                        res->cells++;
                if (nc > NCOLS)
                    res->nwarn += 0; /* extra empty columns are ignored */
                res->rows++;
            }
            i--;
            continue;
        }
        if (strncmp(ln, "Nơi nhận", strlen("Nơi nhận")) == 0) {
            p->recipients_label = dup0(ln);
            for (i++; i < nl; i++) {
                if (lines[i][0] == '\0')
                    continue;
                if (lines[i][0] != '-')
                    break;
                if (append_line(&p->recipients, lines[i]) < 0)
                    goto nomem;
            }
            NEXT_NONEMPTY();
            if (i < nl)
                p->signer_role = dup0(lines[i++]);
            NEXT_NONEMPTY();
            if (i < nl)
                p->signer_name = dup0(lines[i++]);
            /* anything after the signature is kept as paragraphs */
            for (; i < nl; i++) {
                if (lines[i][0] == '\0')
                    continue;
                b = push(p, "para");
                if (b == NULL || (b->text = dup0(lines[i])) == NULL)
                    goto nomem;
                res->paras++;
                char w[160];
                snprintf(w, sizeof(w), "line %zu: text after the signature, kept as a paragraph",
                         i + 1);
                char **nw = realloc(res->warn, (res->nwarn + 1) * sizeof(*nw));
                if (nw == NULL)
                    goto nomem;
                res->warn = nw;
                res->warn[res->nwarn++] = dup0(w);
            }
            break;
        }
        if (strncmp(ln, "Phần thứ", strlen("Phần thứ")) == 0) {
            b = push(p, "part");
            if (b == NULL || (b->num = dup0(ln)) == NULL || (b->text = dup0("")) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        if ((k = roman_num(ln)) || (k = arabic_num(ln))) {
            b = push(p, "heading");
            if (b == NULL || (b->num = dupn(ln, k)) == NULL ||
                (b->text = dup0(skip_ws(ln + k))) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        if ((ln[0] == '-' || ln[0] == '+' || ln[0] == '*') && ln[1] == ' ') {
            b = push(p, "bullet");
            if (b == NULL || (b->marker = dupn(ln, 1)) == NULL ||
                (b->text = dup0(skip_ws(ln + 1))) == NULL)
                goto nomem;
            res->bullets++;
            continue;
        }
        if (all_caps(ln)) {
            b = push(p, "part");
            if (b == NULL || (b->num = dup0("")) == NULL || (b->text = dup0(ln)) == NULL)
                goto nomem;
            res->headings++;
            continue;
        }
        b = push(p, "para");
        if (b == NULL || (b->text = dup0(ln)) == NULL)
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
    char dkind[64], dperiod[64];
    parsed p;
    writer w = {st, scope, author, ""};
    xa_field f;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(res, 0, sizeof(*res));
    if ((rc = xa_check_entity(id)) < 0)
        return rc;
    if (strlen(id) + 12 > XA_ENTITY_MAX)
        return xa_error_set(XA_EINVAL, "the report id '%s' is too long", id);
    if (len == 0)
        return xa_error_set(XA_EINVAL, "the file is empty: not a report");
    if (!xa_utf8_valid(text, len))
        return xa_error_set(XA_EINVAL, "the file is not UTF-8 text (save it as UTF-8)");
    if (memchr(text, '\0', len))
        return xa_error_set(XA_EINVAL, "the file holds NUL bytes: not a text report");
    rc = xa_store_get(st, scope, id, "title", &f);
    if (rc == 0) {
        xa_field_clear(&f);
        return xa_error_set(XA_EEXISTS, "report %s already exists; give another --id", id);
    }
    rc = parse(text, len, &p, res);
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
        if (rc == 0 && b->brk) {
            char brk[24];
            snprintf(brk, sizeof(brk), "%04zu", b->brk + 1);
            rc = put(&w, ent, "break", brk);
        }
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
