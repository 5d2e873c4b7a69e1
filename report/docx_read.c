/*
 * A clerk's Word file (.docx) read into the report's text form
 * (xasync/docx_read.h), which the text importer (report.c) then places
 * with its own rules: every paragraph placed, or the import refused
 * naming it (or, with --force, kept and listed).
 *
 * What the text form gets from the WordprocessingML:
 *   - each paragraph of the body is a line with a blank line after it; a
 *     line break in it (w:br, w:cr) a new line; a tab a tab; no-break
 *     spaces are spaces and runs of spaces one space; a paragraph made of
 *     rule characters only ("_____") is decoration and left out;
 *   - automatic numbering (numbering.xml, from the paragraph or its style)
 *     is written out as Word shows it: "I." "2." "2.1." headings, a
 *     bullet as "- " ("+ ", "– " when that is the bullet);
 *   - bold and italic runs in a paragraph that is not bold (or italic)
 *     throughout are the conversion leftovers the model keeps them as,
 *     "**…**" and "*…*" (a bold number in front of a heading is the
 *     heading's number, not a bold run);
 *   - the title: the centred paragraphs right after the document type
 *     ("BÁO CÁO") are one line;
 *   - a table whose first cell is "TT" or "STT" is the indicator table:
 *     one line a row, its cells separated by tabs, a cell merged across
 *     columns (w:gridSpan) followed by empty cells, a cell merged down
 *     (w:vMerge) empty below its first row, so the header lines are those
 *     of the text form; the rows a page break repeats stay in the table;
 *   - any other table of two columns (the header of the document: issuing
 *     body | motto, number | place and date; the closing: "Nơi nhận" |
 *     signature) is read side by side: the k-th line of the left cell, a
 *     tab, the k-th line of the right cell; other tables one line a row.
 * Each line of the text form remembers where it came from, so the
 * importer's "line N" can be told as "đoạn 12 / paragraph 12" or "bảng 2,
 * dòng 5 / table 2, row 5".
 *
 * The file itself: libzip reads the zip from memory; the parts are read
 * with their unpacked size limited (64 MB) and their packing ratio too
 * (200:1 past 1 MB), whatever the zip's directory claims.  libxml2 parses
 * them with the network off and neither DTD loading nor entity expansion;
 * a part with a DOCTYPE (which Word never writes) is refused before it is
 * parsed.  A .doc, an .odt, an encrypted .docx (an OLE file holding an
 * "EncryptedPackage"), a damaged zip, a zip that is no Word document: a
 * message in Vietnamese and English, nothing read.
 */
#include "xasync/docx_read.h"

#include "report_int.h"
#include "xasync/error.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define PART_MAX (64u * 1024 * 1024) /* unpacked size of one part */
#define RATIO_MAX 200u               /* unpacked / packed, past RATIO_FROM */
#define RATIO_FROM (1024u * 1024)
#define LVLS 9

static const char W_NS[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/* ---- the file: what it is -------------------------------------------- */

static const unsigned char OLE_MAGIC[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

int xa_docx_magic(const void *data, size_t len)
{
    const unsigned char *u = data;

    return (len >= 4 && memcmp(u, "PK\x03\x04", 4) == 0) ||
           (len >= 4 && memcmp(u, "PK\x05\x06", 4) == 0) ||
           (len >= 8 && memcmp(u, OLE_MAGIC, 8) == 0);
}

/* Does an OLE file name a stream `name` (directory names are UTF-16LE)? */
static int ole_has(const unsigned char *u, size_t len, const char *name)
{
    size_t n = strlen(name), k;

    for (size_t i = 0; i + 2 * n <= len; i++) {
        for (k = 0; k < n; k++)
            if (u[i + 2 * k] != (unsigned char)name[k] || u[i + 2 * k + 1] != 0)
                break;
        if (k == n)
            return 1;
    }
    return 0;
}

static int refuse_ole(const unsigned char *u, size_t len)
{
    if (ole_has(u, len, "EncryptedPackage") || ole_has(u, len, "EncryptionInfo"))
        return xa_error_set(
            XA_EINVAL,
            "the .docx is protected by a password, and xasync does not open it: open it in Word,"
            " remove the password (File > Info > Protect Document > Encrypt with Password, leave"
            " it empty), save it and import it again / tệp .docx có đặt mật khẩu nên không đọc"
            " được: mở bằng Word, bỏ mật khẩu (Tệp > Thông tin > Bảo vệ tài liệu > Mã hóa bằng"
            " mật khẩu, để trống), lưu lại rồi nhập lại");
    if (ole_has(u, len, "WordDocument"))
        return xa_error_set(
            XA_EINVAL,
            "the file is a Word 97-2003 document (.doc), which xasync does not read: open it in"
            " Word or LibreOffice Writer and save it as .docx (File > Save As > Word Document"
            " (*.docx)), then import the .docx / tệp là văn bản Word 97-2003 (.doc), xasync không"
            " đọc được: mở bằng Word hoặc LibreOffice Writer, lưu lại dưới dạng .docx (Tệp > Lưu"
            " thành > Word Document (*.docx)) rồi nhập tệp .docx đó");
    return xa_error_set(XA_EINVAL,
                        "the file is an Office 97-2003 file but not a Word document: save the"
                        " report from Word as .docx / tệp Office 97-2003 nhưng không phải văn bản"
                        " Word: hãy lưu báo cáo từ Word dưới dạng .docx");
}

/* ---- the zip ---------------------------------------------------------- */

/* The part `name` of the zip, NUL-terminated, in *out (malloc'd);
 * 0 when absent (*out NULL). */
static int read_part(zip_t *z, const char *name, char **out, size_t *outlen)
{
    zip_stat_t sb;
    zip_int64_t idx = zip_name_locate(z, name, ZIP_FL_NOCASE);
    zip_file_t *f;
    char *buf;
    size_t n = 0, cap;
    int big = 0; /* the size limit, else the ratio */

    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (idx < 0)
        return 0;
    zip_stat_init(&sb);
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &sb) < 0)
        return xa_error_set(XA_EINVAL,
                            "the .docx is damaged (%s: %s); open it in Word and save it again /"
                            " tệp .docx bị hỏng: mở bằng Word rồi lưu lại",
                            name, zip_strerror(z));
    if ((sb.valid & ZIP_STAT_ENCRYPTION_METHOD) && sb.encryption_method != ZIP_EM_NONE)
        return xa_error_set(XA_EINVAL,
                            "the .docx is encrypted (%s), and xasync does not open it: save it"
                            " from Word without a password / tệp .docx đã mã hóa: lưu lại từ"
                            " Word không đặt mật khẩu",
                            name);
    big = (sb.valid & ZIP_STAT_SIZE) && sb.size > PART_MAX;
    if (big || ((sb.valid & ZIP_STAT_SIZE) && (sb.valid & ZIP_STAT_COMP_SIZE) &&
                sb.size > RATIO_FROM && sb.size / (sb.comp_size ? sb.comp_size : 1) > RATIO_MAX))
        goto bomb;
    f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    if (f == NULL) {
        int ze = zip_error_code_zip(zip_get_error(z));
        if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
            return xa_error_set(XA_EINVAL,
                                "the .docx is encrypted (%s), and xasync does not open it: save"
                                " it from Word without a password / tệp .docx đã mã hóa: lưu lại"
                                " từ Word không đặt mật khẩu",
                                name);
        return xa_error_set(XA_EINVAL,
                            "the .docx is damaged (%s: %s); open it in Word and save it again /"
                            " tệp .docx bị hỏng: mở bằng Word rồi lưu lại",
                            name, zip_strerror(z));
    }
    cap = (sb.valid & ZIP_STAT_SIZE) && sb.size < PART_MAX ? (size_t)sb.size + 1 : 65536;
    buf = malloc(cap + 1);
    if (buf == NULL) {
        zip_fclose(f);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    for (;;) {
        zip_int64_t got;
        if (n == cap) {
            /* more than the directory said: read on, within the limits */
            size_t ncap = cap * 2 > PART_MAX + 1 ? PART_MAX + 1 : cap * 2;
            char *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (nb == NULL) {
                free(buf);
                zip_fclose(f);
                big = 1;
                if (ncap <= cap)
                    goto bomb;
                return xa_error_set(XA_ENOMEM, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        got = zip_fread(f, buf + n, cap - n);
        if (got < 0) {
            free(buf);
            xa_error_set(XA_EINVAL,
                         "the .docx is damaged (%s: %s); open it in Word and save it again /"
                         " tệp .docx bị hỏng: mở bằng Word rồi lưu lại",
                         name, zip_file_strerror(f));
            zip_fclose(f);
            return XA_EINVAL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        big = n > PART_MAX;
        if (big || (n > RATIO_FROM && (sb.valid & ZIP_STAT_COMP_SIZE) &&
                    n / (sb.comp_size ? sb.comp_size : 1) > RATIO_MAX)) {
            free(buf);
            zip_fclose(f);
            goto bomb;
        }
    }
    zip_fclose(f);
    buf[n] = '\0';
    *out = buf;
    if (outlen)
        *outlen = n;
    return 0;
bomb:
    if (big)
        return xa_error_set(XA_EINVAL,
                            "%s in the .docx unpacks to more than %u MB: refused as a zip bomb,"
                            " nothing read / %s trong tệp .docx giải nén ra quá %u MB, nghi là bom"
                            " nén: không đọc",
                            name, PART_MAX >> 20, name, PART_MAX >> 20);
    return xa_error_set(XA_EINVAL,
                        "%s in the .docx unpacks to more than %u times its packed size: refused"
                        " as a zip bomb, nothing read / %s trong tệp .docx giải nén ra gấp hơn %u"
                        " lần cỡ nén, nghi là bom nén: không đọc",
                        name, RATIO_MAX, name, RATIO_MAX);
}

/* Parse a part: no network, no DTD, no entity expanded; a DOCTYPE is
 * refused before the parser sees it. */
static xmlParserInputPtr no_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL; /* nothing outside the part is ever read */
}

static int parse_part(const char *name, const char *xml, size_t len, xmlDocPtr *out)
{
    xmlDocPtr doc;

    *out = NULL;
    /* Word writes its parts in UTF-8; another encoding (UTF-16) could hide
     * a DOCTYPE from the check below */
    if (memchr(xml, '\0', len) != NULL)
        return xa_error_set(XA_EINVAL,
                            "the .docx is damaged: %s is not UTF-8 XML; open it in Word and save"
                            " it again / tệp .docx bị hỏng: mở bằng Word rồi lưu lại",
                            name);
    xmlSetExternalEntityLoader(no_loader);
    for (const char *p = xml; (p = memchr(p, '<', len - (size_t)(p - xml))) != NULL; p++)
        if (len - (size_t)(p - xml) >= 9 && strncmp(p, "<!DOCTYPE", 9) == 0)
            return xa_error_set(XA_EINVAL,
                                "%s in the .docx declares a DTD (<!DOCTYPE …>), which Word never"
                                " writes: refused, no entity read / %s trong tệp .docx có khai"
                                " báo DTD (<!DOCTYPE …>), Word không bao giờ ghi: không đọc",
                                name, name);
    doc = xmlReadMemory(xml, (int)len, name, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        const xmlError *e = xmlGetLastError();
        if (doc)
            xmlFreeDoc(doc);
        return xa_error_set(XA_EINVAL,
                            "the .docx is damaged: %s is not well-formed XML (line %d: %s); open it"
                            " in Word and save it again / tệp .docx bị hỏng: mở bằng Word rồi lưu"
                            " lại",
                            name, e ? e->line : 0, e && e->message ? e->message : "?");
    }
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return xa_error_set(XA_EINVAL, "%s in the .docx declares a DTD: refused", name);
    }
    *out = doc;
    return 0;
}

/* ---- XML helpers ---------------------------------------------------- */

static int is_w(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, W_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_w(c, name))
            return c;
    return NULL;
}

/* The w:-namespaced attribute `name` (NULL if absent).  Borrowed from the
 * tree (libxml2 keeps an attribute of one text node as that node). */
static const char *wattr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
        if (a->ns && a->ns->href && strcmp((const char *)a->ns->href, W_NS) == 0 &&
            strcmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static const char *child_val(const xmlNode *n, const char *name)
{
    return wattr(child(n, name), "val");
}

/* An on/off property (<w:b/>, <w:b w:val="0"/>): 1, 0, or -1 absent. */
static int onoff(const xmlNode *props, const char *name)
{
    const xmlNode *c = child(props, name);
    const char *v;

    if (c == NULL)
        return -1;
    v = wattr(c, "val");
    return !(v && (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0));
}

/* ---- styles and numbering ------------------------------------------- */

typedef struct style {
    char *id, *based;
    int bold, italic, vanish; /* -1: not said */
    char jc[16];
    int num_id, ilvl; /* -1: not said */
} style;

typedef struct lvl {
    char fmt[24];
    char text[64];
    int start;
} lvl;

typedef struct absnum {
    char *id;
    lvl l[LVLS];
} absnum;

typedef struct num {
    int id;
    size_t abs;           /* index in absnum */
    int start_over[LVLS]; /* -1: none */
    int cnt[LVLS];        /* the last number given at each level; -1: none yet */
} num;

typedef struct reader {
    style *sty;
    size_t nsty;
    absnum *abs;
    size_t nabs;
    num *nums;
    size_t nnum;
    /* the output */
    xa_sb out;
    char **where;
    size_t nwhere, capwhere;
    char loc[96]; /* where the lines being written come from */
    size_t npara, ntable;
    size_t npict, nfoot, nend, ncomment; /* what the text form cannot hold */
    /* the title: after the document type, centred paragraphs join */
    int state; /* 0 before the document type, 1 in the title, 2 after */
    xa_sb title;
    char title_loc[96];
    int failed;
} reader;

static const style *style_get(const reader *r, const char *id)
{
    for (size_t i = 0; id && i < r->nsty; i++)
        if (strcmp(r->sty[i].id, id) == 0)
            return &r->sty[i];
    return NULL;
}

static int read_styles(reader *r, xmlDocPtr doc)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    size_t n = 0;

    for (const xmlNode *c = root->children; c; c = c->next)
        n += is_w(c, "style");
    r->sty = calloc(n ? n : 1, sizeof(*r->sty));
    if (r->sty == NULL)
        return -1;
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (!is_w(c, "style") || wattr(c, "styleId") == NULL)
            continue;
        style *s = &r->sty[r->nsty];
        const xmlNode *ppr = child(c, "pPr"), *rpr = child(c, "rPr"), *np = child(ppr, "numPr");
        const char *v;
        s->id = strdup(wattr(c, "styleId"));
        s->based = (v = child_val(c, "basedOn")) ? strdup(v) : NULL;
        if (s->id == NULL)
            return -1;
        r->nsty++;
        s->bold = onoff(rpr, "b");
        s->italic = onoff(rpr, "i");
        s->vanish = onoff(rpr, "vanish");
        snprintf(s->jc, sizeof(s->jc), "%s", (v = child_val(ppr, "jc")) ? v : "");
        s->num_id = (v = child_val(np, "numId")) ? atoi(v) : -1;
        s->ilvl = (v = child_val(np, "ilvl")) ? atoi(v) : -1;
    }
    return 0;
}

/* A property of a style, looked up its basedOn chain. */
static int style_int(const reader *r, const char *id, size_t off)
{
    const style *s = style_get(r, id);

    for (int depth = 0; s && depth < 20; depth++) {
        int v = *(const int *)((const char *)s + off);
        if (v >= 0)
            return v;
        s = style_get(r, s->based);
    }
    return -1;
}

static const char *style_jc(const reader *r, const char *id)
{
    const style *s = style_get(r, id);

    for (int depth = 0; s && depth < 20; depth++) {
        if (s->jc[0])
            return s->jc;
        s = style_get(r, s->based);
    }
    return "";
}

static int read_numbering(reader *r, xmlDocPtr doc)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    size_t na = 0, nn = 0;

    for (const xmlNode *c = root->children; c; c = c->next) {
        na += is_w(c, "abstractNum");
        nn += is_w(c, "num");
    }
    r->abs = calloc(na ? na : 1, sizeof(*r->abs));
    r->nums = calloc(nn ? nn : 1, sizeof(*r->nums));
    if (r->abs == NULL || r->nums == NULL)
        return -1;
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (!is_w(c, "abstractNum") || wattr(c, "abstractNumId") == NULL)
            continue;
        absnum *a = &r->abs[r->nabs];
        if ((a->id = strdup(wattr(c, "abstractNumId"))) == NULL)
            return -1;
        r->nabs++;
        for (int k = 0; k < LVLS; k++) {
            snprintf(a->l[k].fmt, sizeof(a->l[k].fmt), "decimal");
            a->l[k].start = 1;
        }
        for (const xmlNode *l = c->children; l; l = l->next) {
            const char *il = wattr(l, "ilvl"), *v;
            int k;
            if (!is_w(l, "lvl") || il == NULL || (k = atoi(il)) < 0 || k >= LVLS)
                continue;
            if ((v = child_val(l, "numFmt")))
                snprintf(a->l[k].fmt, sizeof(a->l[k].fmt), "%s", v);
            if ((v = child_val(l, "lvlText")))
                snprintf(a->l[k].text, sizeof(a->l[k].text), "%s", v);
            if ((v = child_val(l, "start")))
                a->l[k].start = atoi(v);
        }
    }
    for (const xmlNode *c = root->children; c; c = c->next) {
        const char *id = wattr(c, "numId"), *aid;
        if (!is_w(c, "num") || id == NULL || (aid = child_val(c, "abstractNumId")) == NULL)
            continue;
        size_t k;
        for (k = 0; k < r->nabs && strcmp(r->abs[k].id, aid) != 0; k++)
            ;
        if (k == r->nabs)
            continue;
        num *m = &r->nums[r->nnum++];
        m->id = atoi(id);
        m->abs = k;
        for (int l = 0; l < LVLS; l++)
            m->start_over[l] = m->cnt[l] = -1;
        for (const xmlNode *o = c->children; o; o = o->next) {
            const char *il = wattr(o, "ilvl"), *v;
            int l;
            if (!is_w(o, "lvlOverride") || il == NULL || (l = atoi(il)) < 0 || l >= LVLS)
                continue;
            if ((v = child_val(o, "startOverride")))
                m->start_over[l] = atoi(v);
        }
    }
    return 0;
}

static void roman(char *out, size_t cap, int v, int upper)
{
    static const int val[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
    static const char *const sym[] = {"M",  "CM", "D",  "CD", "C",  "XC", "L",
                                      "XL", "X",  "IX", "V",  "IV", "I"};
    size_t n = 0;

    out[0] = '\0';
    for (int i = 0; i < 13 && v > 0 && v < 4000; i++)
        while (v >= val[i] && n + 3 < cap) {
            for (const char *s = sym[i]; *s; s++)
                out[n++] = upper ? *s : (char)(*s + 32);
            v -= val[i];
        }
    out[n] = '\0';
}

static void format_num(char *out, size_t cap, const char *fmt, int v)
{
    if (strcmp(fmt, "upperRoman") == 0 || strcmp(fmt, "lowerRoman") == 0) {
        roman(out, cap, v, fmt[0] == 'u');
    } else if (strcmp(fmt, "upperLetter") == 0 || strcmp(fmt, "lowerLetter") == 0) {
        /* a..z, then aa, bb … as Word counts */
        int k = v > 0 ? (v - 1) % 26 : 0, rep = v > 0 ? (v - 1) / 26 + 1 : 1;
        size_t n = 0;
        for (int i = 0; i < rep && n + 1 < cap; i++)
            out[n++] = (char)((fmt[0] == 'u' ? 'A' : 'a') + k);
        out[n] = '\0';
    } else if (strcmp(fmt, "decimalZero") == 0) {
        snprintf(out, cap, "%02d", v);
    } else if (strcmp(fmt, "none") == 0) {
        out[0] = '\0';
    } else {
        snprintf(out, cap, "%d", v);
    }
}

/* The text Word shows in front of a numbered paragraph ("2.1.", "- ");
 * "" when none.  Advances the list's counters. */
static void numbering(reader *r, int num_id, int ilvl, char *out, size_t cap)
{
    num *m = NULL;
    const absnum *a;
    const lvl *L;
    size_t n = 0;

    out[0] = '\0';
    if (num_id <= 0 || ilvl < 0 || ilvl >= LVLS)
        return;
    for (size_t i = 0; i < r->nnum; i++)
        if (r->nums[i].id == num_id)
            m = &r->nums[i];
    if (m == NULL)
        return;
    a = &r->abs[m->abs];
    L = &a->l[ilvl];
    if (strcmp(L->fmt, "bullet") == 0) {
        /* "-", "+", "–" as they are; "•", "o", "", "▪" … a dash */
        const char *t = L->text;
        snprintf(out, cap, "%s ",
                 strcmp(t, "-") == 0 || strcmp(t, "+") == 0 || strcmp(t, "–") == 0 ? t : "-");
        return;
    }
    if (m->cnt[ilvl] < 0)
        m->cnt[ilvl] = m->start_over[ilvl] >= 0 ? m->start_over[ilvl] : L->start;
    else
        m->cnt[ilvl]++;
    for (int k = ilvl + 1; k < LVLS; k++)
        m->cnt[k] = -1;
    for (const char *p = L->text; *p && n + 1 < cap; p++) {
        if (*p == '%' && p[1] >= '1' && p[1] <= '9') {
            int k = p[1] - '1';
            char part[32];
            int v = m->cnt[k] >= 0          ? m->cnt[k]
                    : m->start_over[k] >= 0 ? m->start_over[k]
                                            : a->l[k].start;
            format_num(part, sizeof(part), a->l[k].fmt, v);
            for (const char *q = part; *q && n + 1 < cap; q++)
                out[n++] = *q;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    if (n && n + 1 < cap)
        out[n++] = ' ';
    out[n] = '\0';
}

/* ---- the output and where its lines come from ----------------------- */

static void add_where(reader *r, const char *w)
{
    if (r->nwhere == r->capwhere) {
        size_t cap = r->capwhere ? r->capwhere * 2 : 256;
        char **nw = realloc(r->where, cap * sizeof(*nw));
        if (nw == NULL) {
            r->failed = 1;
            return;
        }
        r->where = nw;
        r->capwhere = cap;
    }
    if ((r->where[r->nwhere] = strdup(w)) == NULL)
        r->failed = 1;
    else
        r->nwhere++;
}

/* One line (no "\n" in it) told as from `w`. */
static void out_line(reader *r, const char *s, size_t n, const char *w)
{
    xa_sb_add(&r->out, s, n);
    xa_sb_puts(&r->out, "\n");
    add_where(r, w);
}

static void out_blank(reader *r)
{
    xa_sb_puts(&r->out, "\n");
    add_where(r, "");
}

/* ---- paragraphs -------------------------------------------------------- */

typedef struct piece {
    char *s;
    size_t n;
    int flags; /* XA_RUN_BOLD | XA_RUN_ITALIC */
} piece;

typedef struct para {
    piece *p;
    size_t n, cap;
    const char *pstyle;
    int failed;
    xa_sb boxes; /* text boxes met inside: their own lines */
} para;

static void para_free(para *pa)
{
    for (size_t i = 0; i < pa->n; i++)
        free(pa->p[i].s);
    free(pa->p);
    free(pa->boxes.p);
    memset(pa, 0, sizeof(*pa));
}

static void add_piece(para *pa, const char *s, size_t n, int flags)
{
    if (n == 0)
        return;
    if (pa->n && pa->p[pa->n - 1].flags == flags) {
        piece *l = &pa->p[pa->n - 1];
        char *ns = realloc(l->s, l->n + n + 1);
        if (ns == NULL) {
            pa->failed = 1;
            return;
        }
        memcpy(ns + l->n, s, n);
        l->n += n;
        ns[l->n] = '\0';
        l->s = ns;
        return;
    }
    if (pa->n == pa->cap) {
        size_t cap = pa->cap ? pa->cap * 2 : 16;
        piece *np = realloc(pa->p, cap * sizeof(*np));
        if (np == NULL) {
            pa->failed = 1;
            return;
        }
        pa->p = np;
        pa->cap = cap;
    }
    piece *q = &pa->p[pa->n];
    if ((q->s = malloc(n + 1)) == NULL) {
        pa->failed = 1;
        return;
    }
    memcpy(q->s, s, n);
    q->s[n] = '\0';
    q->n = n;
    q->flags = flags;
    pa->n++;
}

static void block_children(reader *r, const xmlNode *parent, xa_sb *lines_only);

/* The text of a run's children, pieces with the run's style; a tab and a
 * line break are pieces of their own, with no style. */
static void run_text(reader *r, para *pa, const xmlNode *run, int flags)
{
    for (const xmlNode *c = run->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_w(c, "t")) {
            for (const xmlNode *t = c->children; t; t = t->next)
                if (t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE)
                    add_piece(pa, (const char *)t->content, strlen((const char *)t->content),
                              flags);
        } else if (is_w(c, "tab") || is_w(c, "ptab")) {
            add_piece(pa, "\t", 1, 0);
        } else if (is_w(c, "br") || is_w(c, "cr")) {
            add_piece(pa, "\n", 1, 0); /* a line break; a page break too */
        } else if (is_w(c, "footnoteReference")) {
            r->nfoot++;
        } else if (is_w(c, "endnoteReference")) {
            r->nend++;
        } else if (is_w(c, "commentReference")) {
            r->ncomment++;
        } else if (is_w(c, "noBreakHyphen")) {
            add_piece(pa, "-", 1, flags);
        } else if (is_w(c, "drawing") || is_w(c, "pict") ||
                   strcmp((const char *)c->name, "AlternateContent") == 0) {
            /* text boxes: their paragraphs, as lines of their own */
            const xmlNode *stack[64];
            int sp = 0, box = 0;
            stack[sp++] = c;
            while (sp) {
                const xmlNode *x = stack[--sp];
                if (is_w(x, "txbxContent")) {
                    block_children(r, x, &pa->boxes);
                    box = 1;
                    continue;
                }
                if (strcmp((const char *)x->name, "Fallback") == 0)
                    continue; /* the same box again, for older readers */
                for (const xmlNode *k = x->last; k && sp < 64; k = k->prev)
                    if (k->type == XML_ELEMENT_NODE)
                        stack[sp++] = k;
            }
            if (!box)
                r->npict++; /* a picture, a chart, a shape */
        }
        /* w:delText, w:instrText (a field's code), w:softHyphen,
         * w:lastRenderedPageBreak, w:sym: not shown text */
    }
}

/* The runs of a paragraph (or of a hyperlink, an insertion, a field …). */
static void para_runs(reader *r, para *pa, const xmlNode *parent)
{
    for (const xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_w(c, "r")) {
            const xmlNode *rpr = child(c, "rPr");
            const char *rs = child_val(rpr, "rStyle");
            int b = onoff(rpr, "b"), i = onoff(rpr, "i"), v = onoff(rpr, "vanish");
            if (b < 0)
                b = style_int(r, rs, offsetof(style, bold));
            if (b < 0)
                b = style_int(r, pa->pstyle, offsetof(style, bold));
            if (i < 0)
                i = style_int(r, rs, offsetof(style, italic));
            if (i < 0)
                i = style_int(r, pa->pstyle, offsetof(style, italic));
            if (v < 0)
                v = style_int(r, rs, offsetof(style, vanish));
            if (v > 0)
                continue; /* hidden text */
            run_text(r, pa, c, (b > 0 ? XA_RUN_BOLD : 0) | (i > 0 ? XA_RUN_ITALIC : 0));
        } else if (is_w(c, "del") || is_w(c, "moveFrom") || is_w(c, "pPr")) {
            /* deleted (tracked) text, and the paragraph's properties */
        } else if (is_w(c, "hyperlink") || is_w(c, "ins") || is_w(c, "moveTo") ||
                   is_w(c, "smartTag") || is_w(c, "customXml") || is_w(c, "fldSimple") ||
                   is_w(c, "sdt") || is_w(c, "sdtContent") || is_w(c, "bdo") || is_w(c, "dir")) {
            para_runs(r, pa, c);
        }
    }
}

static int is_space_piece(const piece *q)
{
    for (size_t k = 0; k < q->n; k++)
        if (q->s[k] != ' ' && q->s[k] != '\t' && q->s[k] != '\n')
            return 0;
    return 1;
}

/* Spaces and ASCII punctuation only: a "." or ":" left plain at the end of
 * a bold heading does not make the heading a bold run. */
static int is_neutral_piece(const piece *q)
{
    for (size_t k = 0; k < q->n; k++)
        if (q->s[k] != ' ' && q->s[k] != '\t' && q->s[k] != '\n' &&
            !((unsigned char)q->s[k] < 0x80 && ispunct((unsigned char)q->s[k])))
            return 0;
    return 1;
}

/* A heading's number or a bullet alone: "I.", "2.1.", "1.2", "-",
 * "Phần thứ nhất". */
static int number_like(const char *s, size_t n)
{
    size_t k = 0, dots = 0;

    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0;
    if (n <= 3 && strchr("-+*", s[0]))
        return n == 1;
    if (n >= strlen("Phần thứ") && strncmp(s, "Phần thứ", strlen("Phần thứ")) == 0)
        return 1;
    if (strspn(s, "IVX") > 0) {
        k = strspn(s, "IVX");
        return k < n && s[k] == '.' && k + 1 == n;
    }
    for (k = 0; k < n; k++) {
        if (s[k] == '.')
            dots++;
        else if (s[k] < '0' || s[k] > '9')
            return 0;
    }
    return dots > 0 && s[0] != '.';
}

/* Append s (n bytes) to o: no-break spaces as spaces, zero-width
 * characters and soft hyphens left out, runs of spaces one space. */
static void put_clean(xa_sb *o, const char *s, size_t n, int *space)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *u = (const unsigned char *)s + i;
        if (u[0] == 0xC2 && i + 1 < n && u[1] == 0xA0) { /* U+00A0 */
            i++;
            goto sp;
        }
        if (u[0] == 0xC2 && i + 1 < n && u[1] == 0xAD) { /* U+00AD soft hyphen */
            i++;
            continue;
        }
        if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x80 &&
            (u[2] == 0x8B || u[2] == 0x8C || u[2] == 0x8D)) { /* U+200B..D */
            i += 2;
            continue;
        }
        if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x80 && u[2] == 0xAF) { /* U+202F */
            i += 2;
            goto sp;
        }
        if (u[0] == 0xEF && i + 2 < n && u[1] == 0xBB && u[2] == 0xBF) { /* U+FEFF */
            i += 2;
            continue;
        }
        if (u[0] == ' ')
            goto sp;
        if (u[0] == '\t' || u[0] == '\n') {
            /* trailing spaces before a tab or a line end go */
            while (o->n && o->p[o->n - 1] == ' ')
                o->n--;
            xa_sb_add(o, s + i, 1);
            *space = 1; /* no space right after it */
            continue;
        }
        xa_sb_add(o, s + i, 1);
        *space = 0;
        continue;
    sp:
        if (!*space)
            xa_sb_add(o, " ", 1);
        *space = 1;
    }
    if (o->p)
        o->p[o->n] = '\0';
}

/* The paragraph's text as the text form writes it: its numbering in front,
 * bold and italic runs marked where the paragraph is not so throughout.
 * malloc'd, trimmed; NULL when out of memory. */
static char *para_string(const para *pa, const char *prefix)
{
    int allb = 1, alli = 1, any = 0, space = 1;
    size_t first = pa->n;
    xa_sb o = {0};

    size_t last = pa->n;
    for (size_t i = 0; i < pa->n; i++)
        if (!is_space_piece(&pa->p[i]))
            last = i;
    for (size_t i = 0; i < pa->n; i++) {
        if (is_space_piece(&pa->p[i]))
            continue;
        any = 1;
        if (first == pa->n)
            first = i;
        if (i == last && i != first && is_neutral_piece(&pa->p[i]) &&
            !(pa->p[i].flags & (XA_RUN_BOLD | XA_RUN_ITALIC)))
            continue; /* "II. KẾT QUẢ" in bold, then ":" */
        allb &= (pa->p[i].flags & XA_RUN_BOLD) != 0;
        alli &= (pa->p[i].flags & XA_RUN_ITALIC) != 0;
    }
    xa_sb_puts(&o, "");
    put_clean(&o, prefix, strlen(prefix), &space);
    for (size_t i = 0; any && i < pa->n; i++) {
        const piece *q = &pa->p[i];
        int f = q->flags;
        if (allb)
            f &= ~XA_RUN_BOLD;
        if (alli)
            f &= ~XA_RUN_ITALIC;
        if (i == first && !prefix[0] && number_like(q->s, q->n))
            f = 0; /* a heading's number in bold, not a bold run */
        if (f == 0 || is_space_piece(q)) {
            put_clean(&o, q->s, q->n, &space);
            continue;
        }
        /* the marks hug the text: spaces stay outside */
        {
            xa_sb t = {0};
            int tsp = 0;
            size_t a = 0, b;
            const char *mark = (f & XA_RUN_BOLD) ? "**" : "*";
            xa_sb_puts(&t, "");
            put_clean(&t, q->s, q->n, &tsp);
            if (t.failed) {
                o.failed = 1;
                free(t.p);
                break;
            }
            b = t.n;
            while (a < b && t.p[a] == ' ')
                a++;
            while (b > a && t.p[b - 1] == ' ')
                b--;
            if (a && !space)
                xa_sb_puts(&o, " ");
            xa_sb_puts(&o, mark);
            xa_sb_add(&o, t.p + a, b - a);
            xa_sb_puts(&o, mark);
            space = 0;
            if (b < t.n) {
                xa_sb_puts(&o, " ");
                space = 1;
            }
            free(t.p);
        }
    }
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    /* trim each line */
    {
        char *s = o.p;
        size_t n = o.n, w = 0, ls = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n || s[i] == '\n') {
                size_t a = ls, b = i;
                while (a < b && s[a] == ' ')
                    a++;
                while (b > a && s[b - 1] == ' ')
                    b--;
                memmove(s + w, s + a, b - a);
                w += b - a;
                if (i < n)
                    s[w++] = '\n';
                ls = i + 1;
            }
        }
        while (w && s[w - 1] == '\n')
            w--;
        s[w] = '\0';
    }
    return o.p;
}

/* Read a paragraph: its style, numbering, runs. */
static char *read_para(reader *r, const xmlNode *p, para *pa, const char **jc)
{
    const xmlNode *ppr = child(p, "pPr"), *np = child(ppr, "numPr");
    const char *v;
    int num_id = -1, ilvl = -1;
    char prefix[96];

    memset(pa, 0, sizeof(*pa));
    pa->pstyle = child_val(ppr, "pStyle");
    *jc = (v = child_val(ppr, "jc")) ? v : style_jc(r, pa->pstyle);
    if (np) {
        num_id = (v = child_val(np, "numId")) ? atoi(v) : -1;
        ilvl = (v = child_val(np, "ilvl")) ? atoi(v) : 0;
    }
    if (num_id < 0) {
        num_id = style_int(r, pa->pstyle, offsetof(style, num_id));
        if (num_id >= 0) {
            ilvl = style_int(r, pa->pstyle, offsetof(style, ilvl));
            if (ilvl < 0)
                ilvl = 0;
        }
    }
    para_runs(r, pa, p);
    /* a numbered paragraph with no text is not numbered in Word either */
    prefix[0] = '\0';
    for (size_t i = 0; i < pa->n; i++)
        if (!is_space_piece(&pa->p[i])) {
            numbering(r, num_id, ilvl, prefix, sizeof(prefix));
            break;
        }
    if (pa->failed)
        return NULL;
    return para_string(pa, prefix);
}

/* Only rule characters ("_____", "-----", "***"): decoration. */
static int rule_only(const char *s)
{
    size_t n = strlen(s), deco = strspn(s, "-_=*~. ");

    return n >= 3 && deco == n;
}

static int all_caps(const char *s)
{
    char *up = xa_vi_upper_str(s);
    int letters = 0, same = up && strcmp(up, s) == 0;

    for (const char *p = s; *p; p++)
        letters += (*p >= 'A' && *p <= 'Z');
    free(up);
    return same && letters >= 2;
}

static int starts(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

/* The end of the title: its one line. */
static void flush_title(reader *r)
{
    if (r->state != 1)
        return;
    if (r->title.n) {
        out_line(r, r->title.p, r->title.n, r->title_loc);
        out_blank(r);
    }
    r->state = 2;
}

/* A document type the title follows: "BÁO CÁO", "KẾ HOẠCH" … */
static int doctype_line(const char *t)
{
    static const char *const types[] = {"BÁO CÁO",      "KẾ HOẠCH", "TỜ TRÌNH",   "THÔNG BÁO",
                                        "CHƯƠNG TRÌNH", "BIÊN BẢN", "QUYẾT ĐỊNH", "ĐỀ ÁN",
                                        "PHƯƠNG ÁN",    "HƯỚNG DẪN"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (starts(t, types[i]) && strlen(t) < 40 && all_caps(t))
            return 1;
    return 0;
}

/* Does a centred paragraph after the document type go on with the title?
 * Not "Kính gửi: …", a part ("Phần thứ nhất") or a numbered heading, nor a
 * line in capitals under a title that is not (a part's title). */
static int title_goes_on(reader *r, const char *t)
{
    size_t k = strspn(t, "IVX");

    if (starts(t, "Kính gửi") || starts(t, "Phần thứ"))
        return 0;
    if ((k && t[k] == '.') || ((k = strspn(t, "0123456789.")) && t[k - 1] == '.' && t[k] == ' '))
        return 0;
    if (r->title.n && all_caps(t)) {
        char *so_far = strndup(r->title.p, r->title.n);
        int caps = so_far && all_caps(so_far);
        free(so_far);
        return caps;
    }
    return 1;
}

/* Write a paragraph's lines (the body's, or a text box's into `lines`). */
static void emit_para(reader *r, const char *text, const char *jc, xa_sb *lines)
{
    int centred = strcmp(jc, "center") == 0;

    if (lines) {
        if (text[0] && !rule_only(text)) {
            xa_sb_puts(lines, text);
            xa_sb_puts(lines, "\n");
        }
        return;
    }
    if (r->state == 1) {
        /* the title: the centred lines after the document type are one */
        if (text[0] == '\0' || rule_only(text)) {
            if (r->title.n)
                flush_title(r);
            return;
        }
        if (centred && title_goes_on(r, text)) {
            if (r->title.n)
                xa_sb_puts(&r->title, " ");
            for (const char *p = text; *p; p++)
                xa_sb_add(&r->title, *p == '\n' ? " " : p, 1);
            if (!r->title_loc[0])
                snprintf(r->title_loc, sizeof(r->title_loc), "%s", r->loc);
            return;
        }
        flush_title(r);
    }
    if (text[0] == '\0' || rule_only(text))
        return;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            out_line(r, p, n, r->loc);
        p += n + (e != NULL);
    }
    out_blank(r);
    if (r->state == 0 && centred && doctype_line(text))
        r->state = 1;
}

/* ---- tables ------------------------------------------------------------ */

typedef struct tcell {
    char *text; /* the cell's paragraphs: lines ("\n"), or joined by spaces */
    int span;   /* w:gridSpan */
    int vcont;  /* w:vMerge continuing the cell above */
} tcell;

/* Replace tabs and line ends by spaces (a cell of a row). */
static void flatten(char *s)
{
    size_t w = 0;
    int sp = 1;

    for (size_t i = 0; s[i]; i++) {
        char c = s[i] == '\t' || s[i] == '\n' ? ' ' : s[i];
        if (c == ' ' && sp)
            continue;
        sp = c == ' ';
        s[w++] = c;
    }
    while (w && s[w - 1] == ' ')
        w--;
    s[w] = '\0';
}

static int tt_word(const char *c)
{
    char w[8];
    size_t k = 0;

    for (const char *p = c; *p && k < sizeof(w) - 1; p++)
        if (*p != '.' && *p != ' ')
            w[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    w[k] = '\0';
    return strcmp(w, "TT") == 0 || strcmp(w, "STT") == 0;
}

/* The children of `parent` named `want` ("tr", "tc"), those inside content
 * controls and custom XML included, in order. */
typedef struct nodes {
    const xmlNode **v;
    size_t n, cap;
    int failed;
} nodes;

static void gather(const xmlNode *parent, const char *want, nodes *out)
{
    for (const xmlNode *c = parent ? parent->children : NULL; c; c = c->next) {
        if (is_w(c, want)) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 32;
                const xmlNode **nv = realloc(out->v, cap * sizeof(*nv));
                if (nv == NULL) {
                    out->failed = 1;
                    return;
                }
                out->v = nv;
                out->cap = cap;
            }
            out->v[out->n++] = c;
        } else if (is_w(c, "sdt")) {
            gather(child(c, "sdtContent"), want, out);
        } else if (is_w(c, "customXml")) {
            gather(c, want, out);
        }
    }
}

typedef struct trow {
    tcell *cells;
    int ncell, before, after, filled; /* filled: cells with text */
} trow;

static void read_table(reader *r, const xmlNode *tbl)
{
    size_t tno = ++r->ntable;
    int indicator = 0, side = 1;
    char loc[96];
    nodes trs = {0};
    trow *rows;
    xa_sb line = {0};

    gather(tbl, "tr", &trs);
    rows = calloc(trs.n ? trs.n : 1, sizeof(*rows));
    if (trs.failed || rows == NULL) {
        r->failed = 1;
        free(trs.v);
        free(rows);
        return;
    }
    for (size_t i = 0; i < trs.n && !r->failed; i++) {
        const xmlNode *trpr = child(trs.v[i], "trPr");
        const char *v;
        nodes tcs = {0};
        trow *w = &rows[i];
        w->before = (v = child_val(trpr, "gridBefore")) ? atoi(v) : 0;
        w->after = (v = child_val(trpr, "gridAfter")) ? atoi(v) : 0;
        gather(trs.v[i], "tc", &tcs);
        w->cells = calloc(tcs.n ? tcs.n : 1, sizeof(*w->cells));
        if (tcs.failed || w->cells == NULL) {
            r->failed = 1;
            free(tcs.v);
            break;
        }
        for (size_t k = 0; k < tcs.n; k++) {
            const xmlNode *tcpr = child(tcs.v[k], "tcPr"), *vm = child(tcpr, "vMerge");
            xa_sb o = {0};
            xa_sb_puts(&o, "");
            block_children(r, tcs.v[k], &o);
            if (o.failed) {
                r->failed = 1;
                free(o.p);
                break;
            }
            while (o.n && o.p[o.n - 1] == '\n')
                o.p[--o.n] = '\0';
            tcell *c = &w->cells[w->ncell++];
            c->text = o.p;
            c->span = (v = child_val(tcpr, "gridSpan")) && atoi(v) > 1 ? atoi(v) : 1;
            c->vcont =
                vm && (wattr(vm, "val") == NULL || strcmp(wattr(vm, "val"), "continue") == 0);
            w->filled += c->text[0] && !c->vcont;
        }
        free(tcs.v);
        if (i == 0 && w->ncell) {
            char *first = strdup(w->cells[0].text);
            if (first == NULL) {
                r->failed = 1;
                break;
            }
            flatten(first);
            indicator = tt_word(first);
            free(first);
        }
        /* side by side only when no row has more than two cells with text,
         * and none of them is to the right of the second */
        if (w->filled > 2)
            side = 0;
    }
    side &= !indicator;
    xa_sb_puts(&line, "");
    for (size_t i = 0; i < trs.n && !r->failed; i++) {
        trow *w = &rows[i];
        snprintf(loc, sizeof(loc), "bảng %zu, dòng %zu / table %zu, row %zu", tno, i + 1, tno,
                 i + 1);
        line.n = 0;
        line.p[0] = '\0';
        if (!side) {
            /* one line a row: merged cells as the text form writes them */
            for (int k = 0; k < w->before; k++)
                xa_sb_puts(&line, k ? "\t" : "");
            for (int c = 0; c < w->ncell; c++) {
                if (line.n || c || w->before)
                    xa_sb_puts(&line, "\t");
                if (!w->cells[c].vcont) {
                    char *t = w->cells[c].text;
                    size_t tl;
                    flatten(t);
                    tl = strlen(t);
                    /* a TT Word numbers by itself: "1." is row 1 */
                    if (c == 0 && indicator && tl > 1 && t[tl - 1] == '.' &&
                        (strspn(t, "0123456789") == tl - 1 || strspn(t, "IVX") == tl - 1))
                        t[tl - 1] = '\0';
                    xa_sb_puts(&line, t);
                }
                for (int k = 1; k < w->cells[c].span; k++)
                    xa_sb_puts(&line, "\t");
            }
            for (int k = 0; k < w->after; k++)
                xa_sb_puts(&line, "\t");
            if (line.n && strspn(line.p, "\t") != line.n)
                out_line(r, line.p, line.n, loc);
        } else {
            /* side by side: line k of the first cell, a tab, line k of the
             * other cell with text */
            const char *lp = "", *rp = "";
            int c = 0;
            if (w->ncell > 0 && !w->cells[0].vcont && w->cells[0].text[0])
                lp = w->cells[c++].text;
            for (; c < w->ncell; c++)
                if (w->cells[c].text[0] && !w->cells[c].vcont) {
                    /* the second cell with text, or the only one, right of
                     * an empty first */
                    if (lp[0] || w->filled == 1) {
                        rp = w->cells[c].text;
                        break;
                    }
                    lp = w->cells[c].text;
                }
            while (*lp || *rp) {
                size_t ln = strcspn(lp, "\n"), rn = strcspn(rp, "\n");
                line.n = 0;
                xa_sb_add(&line, lp, ln);
                for (size_t q = 0; q < line.n; q++)
                    if (line.p[q] == '\t')
                        line.p[q] = ' ';
                if (rn) {
                    size_t at = line.n;
                    xa_sb_puts(&line, "\t");
                    xa_sb_add(&line, rp, rn);
                    for (size_t q = at + 1; q < line.n; q++)
                        if (line.p[q] == '\t')
                            line.p[q] = ' ';
                }
                if (line.n)
                    out_line(r, line.p, line.n, loc);
                lp += ln + (lp[ln] == '\n');
                rp += rn + (rp[rn] == '\n');
            }
        }
    }
    if (line.failed)
        r->failed = 1;
    free(line.p);
    for (size_t i = 0; i < trs.n; i++) {
        for (int c = 0; c < rows[i].ncell; c++)
            free(rows[i].cells[c].text);
        free(rows[i].cells);
    }
    free(rows);
    free(trs.v);
    out_blank(r);
}

/* The paragraphs and tables under `parent` (the body, a cell, a text box,
 * a content control).  With `lines`, each paragraph is one line of it
 * (a cell); else they are the body's lines. */
static void block_children(reader *r, const xmlNode *parent, xa_sb *lines)
{
    for (const xmlNode *c = parent->children; c && !r->failed; c = c->next) {
        if (is_w(c, "p")) {
            para pa;
            const char *jc;
            char *text;
            if (!lines) {
                r->npara++;
                snprintf(r->loc, sizeof(r->loc), "đoạn %zu / paragraph %zu", r->npara, r->npara);
            }
            text = read_para(r, c, &pa, &jc);
            if (text == NULL) {
                r->failed = 1;
                para_free(&pa);
                return;
            }
            if (pa.boxes.n) {
                /* a text box's paragraphs come before the paragraph holding it */
                if (lines) {
                    xa_sb_add(lines, pa.boxes.p, pa.boxes.n);
                } else {
                    for (const char *p = pa.boxes.p; *p;) {
                        size_t n = strcspn(p, "\n");
                        if (n) {
                            out_line(r, p, n, r->loc);
                            out_blank(r);
                        }
                        p += n + (p[n] == '\n');
                    }
                }
            }
            emit_para(r, text, jc, lines);
            free(text);
            para_free(&pa);
        } else if (is_w(c, "tbl")) {
            if (lines) {
                /* a table in a cell: its cells' lines */
                for (const xmlNode *tr = c->children; tr; tr = tr->next)
                    for (const xmlNode *tc = tr->children; is_w(tr, "tr") && tc; tc = tc->next)
                        if (is_w(tc, "tc"))
                            block_children(r, tc, lines);
            } else {
                flush_title(r);
                read_table(r, c);
            }
        } else if (is_w(c, "sdt")) {
            const xmlNode *sc = child(c, "sdtContent");
            if (sc)
                block_children(r, sc, lines);
        } else if (is_w(c, "customXml") || is_w(c, "ins") || is_w(c, "moveTo")) {
            block_children(r, c, lines);
        }
    }
}

/* ---- the package --------------------------------------------------- */

static void reader_free(reader *r)
{
    for (size_t i = 0; i < r->nsty; i++) {
        free(r->sty[i].id);
        free(r->sty[i].based);
    }
    free(r->sty);
    for (size_t i = 0; i < r->nabs; i++)
        free(r->abs[i].id);
    free(r->abs);
    free(r->nums);
    free(r->title.p);
}

void xa_docx_text_free(xa_docx_text *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nlines; i++)
        free(t->where[i]);
    free(t->where);
    for (size_t i = 0; i < t->nwarn; i++)
        free(t->warn[i]);
    free(t->warn);
    free(t->text);
    memset(t, 0, sizeof(*t));
}

/* The target of the relationship of type ".../<type>" in a .rels part;
 * malloc'd, or NULL. */
static char *rel_target(zip_t *z, const char *rels, const char *type, int *err)
{
    char *xml = NULL, *out = NULL;
    size_t len = 0;
    xmlDocPtr doc;
    size_t tl = strlen(type);

    if ((*err = read_part(z, rels, &xml, &len)) < 0 || xml == NULL)
        return NULL;
    if ((*err = parse_part(rels, xml, len, &doc)) < 0) {
        free(xml);
        return NULL;
    }
    free(xml);
    for (xmlNode *c = xmlDocGetRootElement(doc)->children; c && !out; c = c->next) {
        xmlChar *ty, *tg;
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Relationship") != 0)
            continue;
        ty = xmlGetNoNsProp(c, BAD_CAST "Type");
        tg = xmlGetNoNsProp(c, BAD_CAST "Target");
        if (ty && tg && strlen((char *)ty) > tl &&
            strcmp((char *)ty + strlen((char *)ty) - tl, type) == 0 &&
            ((char *)ty)[strlen((char *)ty) - tl - 1] == '/')
            out = strdup((char *)tg);
        xmlFree(ty);
        xmlFree(tg);
    }
    xmlFreeDoc(doc);
    return out;
}

/* A part's name from a target relative to `dir` ("word/"). */
static void part_name(char *out, size_t cap, const char *dir, const char *target)
{
    if (target[0] == '/')
        snprintf(out, cap, "%s", target + 1);
    else
        snprintf(out, cap, "%s%s", dir, target);
}

int xa_docx_read(const void *data, size_t len, xa_docx_text *out)
{
    const unsigned char *u = data;
    zip_error_t ze;
    zip_source_t *src;
    zip_t *z = NULL;
    char *xml = NULL, *target = NULL, docname[512], dir[512], name[600];
    size_t xlen = 0;
    xmlDocPtr doc = NULL, sdoc = NULL, ndoc = NULL;
    reader r;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (len >= 8 && memcmp(u, OLE_MAGIC, 8) == 0)
        return refuse_ole(u, len);
    if (len == 0)
        return xa_error_set(XA_EINVAL, "the file is empty: not a report / tệp rỗng");
    zip_error_init(&ze);
    src = zip_source_buffer_create(data, len, 0, &ze);
    if (src)
        z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (z == NULL) {
        rc = xa_error_set(XA_EINVAL,
                          "the file is not a readable .docx: its zip is damaged (%s); open it in"
                          " Word and save it again / tệp .docx bị hỏng (không đọc được tệp nén):"
                          " mở bằng Word rồi lưu lại",
                          zip_error_strerror(&ze));
        if (src)
            zip_source_free(src);
        zip_error_fini(&ze);
        return rc;
    }
    zip_error_fini(&ze);
    /* an OpenDocument file says so first */
    if ((rc = read_part(z, "mimetype", &xml, NULL)) < 0)
        goto out;
    if (xml) {
        if (strncmp(xml, "application/vnd.oasis.opendocument.text", 39) == 0)
            rc = xa_error_set(
                XA_EINVAL,
                "the file is an OpenDocument text (.odt), which xasync does not read: open it in"
                " LibreOffice Writer and save it as .docx (File > Save As, file type \"Word"
                " 2007-365 (.docx)\", Keep current format), then import the .docx / tệp là văn"
                " bản OpenDocument (.odt), xasync không đọc được: mở bằng LibreOffice Writer, lưu"
                " lại dưới dạng .docx (Tệp > Lưu thành, kiểu tệp \"Word 2007-365 (.docx)\") rồi"
                " nhập tệp .docx đó");
        else if (strncmp(xml, "application/vnd.oasis.opendocument", 34) == 0)
            rc = xa_error_set(XA_EINVAL,
                              "the file is an OpenDocument file (%.60s), not a Word document:"
                              " save the report as .docx / tệp OpenDocument, không phải văn bản"
                              " Word: hãy lưu báo cáo dưới dạng .docx",
                              xml);
        free(xml);
        xml = NULL;
        if (rc < 0)
            goto out;
    }
    target = rel_target(z, "_rels/.rels", "officeDocument", &rc);
    if (rc < 0)
        goto out;
    part_name(docname, sizeof(docname), "", target ? target : "word/document.xml");
    free(target);
    target = NULL;
    if ((rc = read_part(z, docname, &xml, &xlen)) < 0)
        goto out;
    if (xml == NULL) {
        rc = xa_error_set(XA_EINVAL,
                          "the file is a zip but not a Word document (no %s in it): save the"
                          " report from Word as .docx / tệp nén nhưng không phải văn bản Word"
                          " (.docx)",
                          docname);
        goto out;
    }
    if ((rc = parse_part(docname, xml, xlen, &doc)) < 0)
        goto out;
    free(xml);
    xml = NULL;
    /* styles and numbering: the document's relationships, else their usual names */
    snprintf(dir, sizeof(dir), "%s", docname);
    {
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[1] = '\0';
        else
            dir[0] = '\0';
    }
    snprintf(name, sizeof(name), "%s_rels/%s.rels", dir, docname + strlen(dir));
    for (int k = 0; k < 2; k++) {
        const char *type = k == 0 ? "styles" : "numbering";
        char part[1200];
        xmlDocPtr *dst = k == 0 ? &sdoc : &ndoc;
        target = rel_target(z, name, type, &rc);
        if (rc < 0)
            goto out;
        if (target)
            part_name(part, sizeof(part), dir, target);
        else
            snprintf(part, sizeof(part), "%s%s.xml", dir, type);
        free(target);
        target = NULL;
        if ((rc = read_part(z, part, &xml, &xlen)) < 0)
            goto out;
        if (xml && (rc = parse_part(part, xml, xlen, dst)) < 0)
            goto out;
        free(xml);
        xml = NULL;
    }
    if ((sdoc && read_styles(&r, sdoc) < 0) || (ndoc && read_numbering(&r, ndoc) < 0)) {
        rc = xa_error_set(XA_ENOMEM, "out of memory");
        goto out;
    }
    {
        const xmlNode *root = xmlDocGetRootElement(doc), *body = child(root, "body");
        if (!is_w(root, "document") || body == NULL) {
            rc = xa_error_set(XA_EINVAL,
                              "%s is not a Word document body (w:document/w:body): save the"
                              " report from Word as .docx / không phải văn bản Word (.docx)",
                              docname);
            goto out;
        }
        xa_sb_puts(&r.out, "");
        block_children(&r, body, NULL);
        flush_title(&r);
    }
    if (r.failed || r.out.failed || r.title.failed) {
        rc = xa_error_set(XA_ENOMEM, "out of memory");
        goto out;
    }
    {
        struct {
            size_t n;
            const char *en, *vi;
        } lost[] = {
            {r.npict, "picture, chart or shape", "hình ảnh, biểu đồ, hình vẽ"},
            {r.nfoot, "footnote", "chú thích cuối trang"},
            {r.nend, "endnote", "chú thích cuối văn bản"},
            {r.ncomment, "comment", "nhận xét (comment)"},
        };
        for (size_t k = 0; k < sizeof(lost) / sizeof(lost[0]); k++) {
            char w[300], **nw;
            if (lost[k].n == 0)
                continue;
            snprintf(w, sizeof(w),
                     "%zu %s%s of the Word file %s not imported (a report holds text and its"
                     " table) / %zu %s trong tệp Word không được nhập",
                     lost[k].n, lost[k].en, lost[k].n == 1 ? "" : "s",
                     lost[k].n == 1 ? "is" : "are", lost[k].n, lost[k].vi);
            nw = realloc(out->warn, (out->nwarn + 1) * sizeof(*nw));
            if (nw == NULL || (nw[out->nwarn] = strdup(w)) == NULL) {
                if (nw)
                    out->warn = nw;
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                xa_docx_text_free(out);
                goto out;
            }
            out->warn = nw;
            out->nwarn++;
        }
    }
    out->text = r.out.p;
    out->len = r.out.n;
    out->where = r.where;
    out->nlines = r.nwhere;
    r.out.p = NULL;
    r.where = NULL;
    r.nwhere = 0;
out:
    for (size_t i = 0; i < r.nwhere; i++)
        free(r.where[i]);
    free(r.where);
    free(r.out.p);
    reader_free(&r);
    free(xml);
    free(target);
    if (doc)
        xmlFreeDoc(doc);
    if (sdoc)
        xmlFreeDoc(sdoc);
    if (ndoc)
        xmlFreeDoc(ndoc);
    if (z)
        zip_discard(z);
    return rc;
}

/* ---- the import ------------------------------------------------------- */

/* msg with each "line N" told as where line N came from. */
static char *retell(const xa_docx_text *doc, const char *msg)
{
    xa_sb o = {0};
    const char *p = msg;

    xa_sb_puts(&o, "");
    while (*p) {
        const char *hit = strstr(p, "line ");
        char *end;
        unsigned long n;
        if (hit == NULL || hit[5] < '0' || hit[5] > '9') {
            size_t k = hit ? (size_t)(hit - p) + 5 : strlen(p);
            xa_sb_add(&o, p, k);
            p += k;
            continue;
        }
        n = strtoul(hit + 5, &end, 10);
        xa_sb_add(&o, p, (size_t)(hit - p));
        if (n >= 1 && n <= doc->nlines && doc->where[n - 1][0])
            xa_sb_puts(&o, doc->where[n - 1]);
        else
            xa_sb_add(&o, hit, (size_t)(end - hit));
        p = end;
    }
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    return o.p;
}

int xa_report_import_docx(xa_store *st,
                          const char *scope,
                          const char *id,
                          const char *kind,
                          const char *period,
                          const xa_docx_text *doc,
                          const char *author,
                          unsigned flags,
                          xa_import_result *res)
{
    int rc = xa_report_import_flags(st, scope, id, kind, period, doc->text, doc->len, author, flags,
                                    res);

    if (rc < 0) {
        char *m = retell(doc, xa_error_last());
        if (m) {
            xa_error_set(rc, "%s", m);
            free(m);
        }
        return rc;
    }
    for (size_t i = 0; i < res->nwarn; i++) {
        char *m = retell(doc, res->warn[i]);
        if (m) {
            free(res->warn[i]);
            res->warn[i] = m;
        }
    }
    return 0;
}
