/*
 * Names for matching and the unit table (form.h).
 *
 * Invariants: conversions are exact (units differ by powers of ten, so a
 * conversion moves the decimal point); a unit the table does not know never
 * converts; names are compared after one normalisation, the same on both
 * sides.
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* generated from Unicode data: code point, lowercase, ASCII base letter */
static const struct fold {
    uint32_t cp, lower;
    char base;
} fold_table[] = {
    {0x00C0, 0x00E0, 'a'}, {0x00C1, 0x00E1, 'a'}, {0x00C2, 0x00E2, 'a'}, {0x00C3, 0x00E3, 'a'},
    {0x00C8, 0x00E8, 'e'}, {0x00C9, 0x00E9, 'e'}, {0x00CA, 0x00EA, 'e'}, {0x00CC, 0x00EC, 'i'},
    {0x00CD, 0x00ED, 'i'}, {0x00CE, 0x00EE, 'i'}, {0x00D1, 0x00F1, 'n'}, {0x00D2, 0x00F2, 'o'},
    {0x00D3, 0x00F3, 'o'}, {0x00D4, 0x00F4, 'o'}, {0x00D5, 0x00F5, 'o'}, {0x00D9, 0x00F9, 'u'},
    {0x00DA, 0x00FA, 'u'}, {0x00DB, 0x00FB, 'u'}, {0x00DD, 0x00FD, 'y'}, {0x00E0, 0x00E0, 'a'},
    {0x00E1, 0x00E1, 'a'}, {0x00E2, 0x00E2, 'a'}, {0x00E3, 0x00E3, 'a'}, {0x00E8, 0x00E8, 'e'},
    {0x00E9, 0x00E9, 'e'}, {0x00EA, 0x00EA, 'e'}, {0x00EC, 0x00EC, 'i'}, {0x00ED, 0x00ED, 'i'},
    {0x00EE, 0x00EE, 'i'}, {0x00F1, 0x00F1, 'n'}, {0x00F2, 0x00F2, 'o'}, {0x00F3, 0x00F3, 'o'},
    {0x00F4, 0x00F4, 'o'}, {0x00F5, 0x00F5, 'o'}, {0x00F9, 0x00F9, 'u'}, {0x00FA, 0x00FA, 'u'},
    {0x00FB, 0x00FB, 'u'}, {0x00FD, 0x00FD, 'y'}, {0x0102, 0x0103, 'a'}, {0x0103, 0x0103, 'a'},
    {0x0106, 0x0107, 'c'}, {0x0107, 0x0107, 'c'}, {0x0108, 0x0109, 'c'}, {0x0109, 0x0109, 'c'},
    {0x0110, 0x0111, 'd'}, {0x0111, 0x0111, 'd'}, {0x0114, 0x0115, 'e'}, {0x0115, 0x0115, 'e'},
    {0x011C, 0x011D, 'g'}, {0x011D, 0x011D, 'g'}, {0x011E, 0x011F, 'g'}, {0x011F, 0x011F, 'g'},
    {0x0124, 0x0125, 'h'}, {0x0125, 0x0125, 'h'}, {0x0128, 0x0129, 'i'}, {0x0129, 0x0129, 'i'},
    {0x012C, 0x012D, 'i'}, {0x012D, 0x012D, 'i'}, {0x0134, 0x0135, 'j'}, {0x0135, 0x0135, 'j'},
    {0x0139, 0x013A, 'l'}, {0x013A, 0x013A, 'l'}, {0x0143, 0x0144, 'n'}, {0x0144, 0x0144, 'n'},
    {0x014E, 0x014F, 'o'}, {0x014F, 0x014F, 'o'}, {0x0154, 0x0155, 'r'}, {0x0155, 0x0155, 'r'},
    {0x015A, 0x015B, 's'}, {0x015B, 0x015B, 's'}, {0x015C, 0x015D, 's'}, {0x015D, 0x015D, 's'},
    {0x0168, 0x0169, 'u'}, {0x0169, 0x0169, 'u'}, {0x016C, 0x016D, 'u'}, {0x016D, 0x016D, 'u'},
    {0x0174, 0x0175, 'w'}, {0x0175, 0x0175, 'w'}, {0x0176, 0x0177, 'y'}, {0x0177, 0x0177, 'y'},
    {0x0179, 0x017A, 'z'}, {0x017A, 0x017A, 'z'}, {0x01A0, 0x01A1, 'o'}, {0x01A1, 0x01A1, 'o'},
    {0x01AF, 0x01B0, 'u'}, {0x01B0, 0x01B0, 'u'}, {0x01F4, 0x01F5, 'g'}, {0x01F5, 0x01F5, 'g'},
    {0x01F8, 0x01F9, 'n'}, {0x01F9, 0x01F9, 'n'}, {0x1E04, 0x1E05, 'b'}, {0x1E05, 0x1E05, 'b'},
    {0x1E0C, 0x1E0D, 'd'}, {0x1E0D, 0x1E0D, 'd'}, {0x1E24, 0x1E25, 'h'}, {0x1E25, 0x1E25, 'h'},
    {0x1E30, 0x1E31, 'k'}, {0x1E31, 0x1E31, 'k'}, {0x1E32, 0x1E33, 'k'}, {0x1E33, 0x1E33, 'k'},
    {0x1E36, 0x1E37, 'l'}, {0x1E37, 0x1E37, 'l'}, {0x1E3E, 0x1E3F, 'm'}, {0x1E3F, 0x1E3F, 'm'},
    {0x1E42, 0x1E43, 'm'}, {0x1E43, 0x1E43, 'm'}, {0x1E46, 0x1E47, 'n'}, {0x1E47, 0x1E47, 'n'},
    {0x1E4C, 0x1E4D, 'o'}, {0x1E4D, 0x1E4D, 'o'}, {0x1E54, 0x1E55, 'p'}, {0x1E55, 0x1E55, 'p'},
    {0x1E5A, 0x1E5B, 'r'}, {0x1E5B, 0x1E5B, 'r'}, {0x1E62, 0x1E63, 's'}, {0x1E63, 0x1E63, 's'},
    {0x1E6C, 0x1E6D, 't'}, {0x1E6D, 0x1E6D, 't'}, {0x1E78, 0x1E79, 'u'}, {0x1E79, 0x1E79, 'u'},
    {0x1E7C, 0x1E7D, 'v'}, {0x1E7D, 0x1E7D, 'v'}, {0x1E7E, 0x1E7F, 'v'}, {0x1E7F, 0x1E7F, 'v'},
    {0x1E80, 0x1E81, 'w'}, {0x1E81, 0x1E81, 'w'}, {0x1E82, 0x1E83, 'w'}, {0x1E83, 0x1E83, 'w'},
    {0x1E88, 0x1E89, 'w'}, {0x1E89, 0x1E89, 'w'}, {0x1E90, 0x1E91, 'z'}, {0x1E91, 0x1E91, 'z'},
    {0x1E92, 0x1E93, 'z'}, {0x1E93, 0x1E93, 'z'}, {0x1EA0, 0x1EA1, 'a'}, {0x1EA1, 0x1EA1, 'a'},
    {0x1EA2, 0x1EA3, 'a'}, {0x1EA3, 0x1EA3, 'a'}, {0x1EA4, 0x1EA5, 'a'}, {0x1EA5, 0x1EA5, 'a'},
    {0x1EA6, 0x1EA7, 'a'}, {0x1EA7, 0x1EA7, 'a'}, {0x1EA8, 0x1EA9, 'a'}, {0x1EA9, 0x1EA9, 'a'},
    {0x1EAA, 0x1EAB, 'a'}, {0x1EAB, 0x1EAB, 'a'}, {0x1EAC, 0x1EAD, 'a'}, {0x1EAD, 0x1EAD, 'a'},
    {0x1EAE, 0x1EAF, 'a'}, {0x1EAF, 0x1EAF, 'a'}, {0x1EB0, 0x1EB1, 'a'}, {0x1EB1, 0x1EB1, 'a'},
    {0x1EB2, 0x1EB3, 'a'}, {0x1EB3, 0x1EB3, 'a'}, {0x1EB4, 0x1EB5, 'a'}, {0x1EB5, 0x1EB5, 'a'},
    {0x1EB6, 0x1EB7, 'a'}, {0x1EB7, 0x1EB7, 'a'}, {0x1EB8, 0x1EB9, 'e'}, {0x1EB9, 0x1EB9, 'e'},
    {0x1EBA, 0x1EBB, 'e'}, {0x1EBB, 0x1EBB, 'e'}, {0x1EBC, 0x1EBD, 'e'}, {0x1EBD, 0x1EBD, 'e'},
    {0x1EBE, 0x1EBF, 'e'}, {0x1EBF, 0x1EBF, 'e'}, {0x1EC0, 0x1EC1, 'e'}, {0x1EC1, 0x1EC1, 'e'},
    {0x1EC2, 0x1EC3, 'e'}, {0x1EC3, 0x1EC3, 'e'}, {0x1EC4, 0x1EC5, 'e'}, {0x1EC5, 0x1EC5, 'e'},
    {0x1EC6, 0x1EC7, 'e'}, {0x1EC7, 0x1EC7, 'e'}, {0x1EC8, 0x1EC9, 'i'}, {0x1EC9, 0x1EC9, 'i'},
    {0x1ECA, 0x1ECB, 'i'}, {0x1ECB, 0x1ECB, 'i'}, {0x1ECC, 0x1ECD, 'o'}, {0x1ECD, 0x1ECD, 'o'},
    {0x1ECE, 0x1ECF, 'o'}, {0x1ECF, 0x1ECF, 'o'}, {0x1ED0, 0x1ED1, 'o'}, {0x1ED1, 0x1ED1, 'o'},
    {0x1ED2, 0x1ED3, 'o'}, {0x1ED3, 0x1ED3, 'o'}, {0x1ED4, 0x1ED5, 'o'}, {0x1ED5, 0x1ED5, 'o'},
    {0x1ED6, 0x1ED7, 'o'}, {0x1ED7, 0x1ED7, 'o'}, {0x1ED8, 0x1ED9, 'o'}, {0x1ED9, 0x1ED9, 'o'},
    {0x1EDA, 0x1EDB, 'o'}, {0x1EDB, 0x1EDB, 'o'}, {0x1EDC, 0x1EDD, 'o'}, {0x1EDD, 0x1EDD, 'o'},
    {0x1EDE, 0x1EDF, 'o'}, {0x1EDF, 0x1EDF, 'o'}, {0x1EE0, 0x1EE1, 'o'}, {0x1EE1, 0x1EE1, 'o'},
    {0x1EE2, 0x1EE3, 'o'}, {0x1EE3, 0x1EE3, 'o'}, {0x1EE4, 0x1EE5, 'u'}, {0x1EE5, 0x1EE5, 'u'},
    {0x1EE6, 0x1EE7, 'u'}, {0x1EE7, 0x1EE7, 'u'}, {0x1EE8, 0x1EE9, 'u'}, {0x1EE9, 0x1EE9, 'u'},
    {0x1EEA, 0x1EEB, 'u'}, {0x1EEB, 0x1EEB, 'u'}, {0x1EEC, 0x1EED, 'u'}, {0x1EED, 0x1EED, 'u'},
    {0x1EEE, 0x1EEF, 'u'}, {0x1EEF, 0x1EEF, 'u'}, {0x1EF0, 0x1EF1, 'u'}, {0x1EF1, 0x1EF1, 'u'},
    {0x1EF2, 0x1EF3, 'y'}, {0x1EF3, 0x1EF3, 'y'}, {0x1EF4, 0x1EF5, 'y'}, {0x1EF5, 0x1EF5, 'y'},
    {0x1EF6, 0x1EF7, 'y'}, {0x1EF7, 0x1EF7, 'y'}, {0x1EF8, 0x1EF9, 'y'}, {0x1EF9, 0x1EF9, 'y'},
};

static const struct fold *fold_find(uint32_t cp)
{
    size_t lo = 0, hi = sizeof(fold_table) / sizeof(fold_table[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fold_table[mid].cp == cp)
            return &fold_table[mid];
        if (fold_table[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Decode one UTF-8 character at s (valid or not: a bad byte is itself). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        return 3;
    }
    *cp = s[0];
    return 1;
}

static void put_utf8(xa_sb *b, uint32_t cp)
{
    char t[4];

    if (cp < 0x80) {
        t[0] = (char)cp;
        xa_sb_add(b, t, 1);
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        xa_sb_add(b, t, 2);
    } else {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        xa_sb_add(b, t, 3);
    }
}

/* Lowercase (or fold), spaces collapsed, trimmed. */
static char *lower_collapse(const char *s, int fold)
{
    xa_sb b = {0};
    int space = 0;

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        uint32_t cp;
        size_t k = utf8_next(p, &cp);
        p += k;
        if (cp == ' ' || cp == '\t' || cp == 0xa0 || cp == '\n' || cp == '\r' || cp == 0x202f) {
            space = 1;
            continue;
        }
        if (space && b.n)
            xa_sb_add(&b, " ", 1);
        space = 0;
        if (cp < 0x80) {
            char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            xa_sb_add(&b, &c, 1);
            continue;
        }
        const struct fold *f = fold_find(cp);
        if (f && fold)
            xa_sb_add(&b, &f->base, 1);
        else
            put_utf8(&b, f ? f->lower : cp);
    }
    xa_sb_add(&b, "", 0);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (b.p == NULL)
        return calloc(1, 1);
    return b.p;
}

/* Abbreviations, each written out (as lowercase words, whole words only). */
static const char *const abbrev[][2] = {
    {"ntm", "nông thôn mới"},
    {"bhyt", "bảo hiểm y tế"},
    {"attp", "an toàn thực phẩm"},
    {"antt", "an ninh trật tự"},
    {"dn", "doanh nghiệp"},
    {"sl", "sản lượng"},
    {"gtsx", "giá trị sản xuất"},
    {"sxkd", "sản xuất kinh doanh"},
    {"hđnd", "hội đồng nhân dân"},
    {"ubnd", "ủy ban nhân dân"},
    {"kh", "kế hoạch"},
    {"tr.đ", "triệu đồng"},
    {"trđ", "triệu đồng"},
    {"tr.đồng", "triệu đồng"},
    {"tỉ", "tỷ"},
    {"uỷ", "ủy"},
    {"thuỷ", "thủy"},
    {"hoá", "hóa"},
    {"khoẻ", "khỏe"},
    {"sl.", "sản lượng"},
};

char *xa_name_key(const char *name, int fold)
{
    char *low = lower_collapse(name, 0), *out;
    xa_sb b = {0};
    size_t n;

    if (low == NULL)
        return NULL;
    n = strlen(low);
    while (n && (low[n - 1] == ':' || low[n - 1] == '.' || low[n - 1] == ' ' || low[n - 1] == ';'))
        low[--n] = '\0';
    for (char *w = low; *w;) {
        char *e = strchr(w, ' ');
        size_t wl = e ? (size_t)(e - w) : strlen(w);
        size_t k;
        for (k = 0; k < sizeof(abbrev) / sizeof(abbrev[0]); k++)
            if (strlen(abbrev[k][0]) == wl && strncmp(w, abbrev[k][0], wl) == 0)
                break;
        if (b.n)
            xa_sb_add(&b, " ", 1);
        if (k < sizeof(abbrev) / sizeof(abbrev[0]))
            xa_sb_puts(&b, abbrev[k][1]);
        else
            xa_sb_add(&b, w, wl);
        w += wl;
        while (*w == ' ')
            w++;
    }
    xa_sb_add(&b, "", 0);
    free(low);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (b.p == NULL)
        return calloc(1, 1);
    if (!fold)
        return b.p;
    out = lower_collapse(b.p, 1);
    free(b.p);
    return out;
}

/* ---- units ------------------------------------------------------------------ */

static const struct unit {
    const char *name; /* lowercase, as xa_name_key writes it (abbreviations out) */
    const char *dim;
    int exp10;
} units[] = {
    {"tấn", "mass", 3},
    {"tạ", "mass", 2},
    {"yến", "mass", 1},
    {"kg", "mass", 0},
    {"ha", "area", 4},
    {"m²", "area", 0},
    {"m2", "area", 0},
    {"tỷ đồng", "money", 9},
    {"triệu đồng", "money", 6},
    {"triệu", "money", 6},
    {"nghìn đồng", "money", 3},
    {"ngàn đồng", "money", 3},
    {"đồng", "money", 0},
    {"%", "ratio", 1},
    {"‰", "ratio", 0},
    {"người", "người", 0},
    {"lao động", "người", 0},
    {"hộ", "hộ", 0},
    {"thôn", "thôn", 0},
    {"doanh nghiệp", "doanh nghiệp", 0},
    {"xã", "xã", 0},
    {"trường", "trường", 0},
    {"km", "length", 3},
    {"m", "length", 0},
    {"con", "con", 0},
    {"suất", "suất", 0},
    {"lượt", "lượt", 0},
};

int xa_unit_lookup(
    const char *unit, const char *const *extra, size_t nextra, char *dim, size_t dimcap, int *exp10)
{
    char *k = xa_name_key(unit, 0);
    int rc = XA_ENOTFOUND;

    if (k == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(k, units[i].name) == 0) {
            snprintf(dim, dimcap, "%s", units[i].dim);
            *exp10 = units[i].exp10;
            rc = 0;
            break;
        }
    for (size_t i = 0; rc != 0 && extra && i < nextra; i++) {
        char *e = xa_name_key(extra[i], 0);
        if (e && strcmp(e, k) == 0) {
            snprintf(dim, dimcap, "%s", e);
            *exp10 = 0;
            rc = 0;
        }
        free(e);
    }
    free(k);
    if (rc != 0)
        return xa_error_set(XA_ENOTFOUND, "đơn vị '%s' không có trong bảng đơn vị / unknown unit",
                            unit);
    return 0;
}

int xa_unit_convert(const xa_vnum *v,
                    const char *from,
                    const char *to,
                    const char *const *extra,
                    size_t n,
                    xa_vnum *out)
{
    char d1[64], d2[64];
    int e1, e2, shift;
    xa_vnum r = *v;

    if (xa_unit_lookup(from, extra, n, d1, sizeof(d1), &e1) < 0 ||
        xa_unit_lookup(to, extra, n, d2, sizeof(d2), &e2) < 0 || strcmp(d1, d2) != 0)
        return xa_error_set(XA_EINVAL, "không đổi được %s sang %s / %s does not convert to %s",
                            from, to, from, to);
    shift = e1 - e2; /* value in `to` = value × 10^shift */
    while (shift > 0) {
        if (r.scale > 0) {
            r.scale--;
        } else {
            if (r.units > INT64_MAX / 10 || r.units < -(INT64_MAX / 10))
                return xa_error_set(XA_ETOOBIG, "%s in %s is too large", from, to);
            r.units *= 10;
        }
        shift--;
    }
    while (shift < 0) {
        if (r.scale >= XA_VNUM_SCALE_MAX)
            return xa_error_set(XA_ETOOBIG, "%s in %s needs more than %d decimals", from, to,
                                XA_VNUM_SCALE_MAX);
        r.scale++;
        shift++;
    }
    r.percent = 0;
    *out = r;
    return 0;
}

int xa_figure_parse(const char *s, xa_vnum *out)
{
    char buf[128];
    size_t o = 0;
    const char *p = s ? s : "";

    /* NBSP (C2 A0), narrow NBSP (E2 80 AF) and spaces: dropped at the ends,
     * a thousands dot between digit groups */
    for (size_t i = 0; p[i] && o + 2 < sizeof(buf);) {
        size_t sp = 0;
        if ((unsigned char)p[i] == 0xc2 && (unsigned char)p[i + 1] == 0xa0)
            sp = 2;
        else if ((unsigned char)p[i] == 0xe2 && (unsigned char)p[i + 1] == 0x80 &&
                 (unsigned char)p[i + 2] == 0xaf)
            sp = 3;
        else if (p[i] == ' ' || p[i] == '\t')
            sp = 1;
        if (sp == 0) {
            buf[o++] = p[i++];
            continue;
        }
        i += sp;
        /* between a digit and exactly three digits: a thousands dot */
        if (o > 0 && buf[o - 1] >= '0' && buf[o - 1] <= '9' && p[i] >= '0' && p[i] <= '9' &&
            p[i + 1] >= '0' && p[i + 1] <= '9' && p[i + 2] >= '0' && p[i + 2] <= '9' &&
            !(p[i + 3] >= '0' && p[i + 3] <= '9'))
            buf[o++] = '.';
    }
    buf[o] = '\0';
    if (strlen(p) >= sizeof(buf) - 2)
        return xa_error_set(XA_EINVAL, "not a number: too long");
    return xa_vnum_parse(buf, out);
}

void xa_vnum_decimal(const xa_vnum *v, char *buf, size_t cap)
{
    uint64_t u = v->units < 0 ? (uint64_t)(-v->units) : (uint64_t)v->units;
    uint64_t p = 1;
    char frac[16];

    for (int i = 0; i < v->scale; i++)
        p *= 10;
    if (v->scale == 0) {
        snprintf(buf, cap, "%s%llu", v->units < 0 ? "-" : "", (unsigned long long)u);
        return;
    }
    snprintf(frac, sizeof(frac), "%0*llu", v->scale, (unsigned long long)(u % p));
    /* no trailing zeros: "636.4", "100" for 100,0 */
    size_t n = strlen(frac);
    while (n && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, cap, "%s%llu%s%s", v->units < 0 && u ? "-" : "", (unsigned long long)(u / p),
             n ? "." : "", frac);
}
