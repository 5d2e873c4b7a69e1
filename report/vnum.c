/*
 * Vietnamese-format numbers, exact: reading and writing the figures of a
 * report's indicator table, and the arithmetic of its derived columns
 * (so với cùng kỳ = est/prev*100, so với kế hoạch = est/plan*100, còn phải
 * thực hiện = plan-est).  Pure: no I/O, no allocation, no floating point,
 * so a figure survives import, edit, sync and export digit for digit.
 *
 * Written form (after leading and trailing spaces, tabs, CR and LF):
 *
 *   number   := ['-'] integer [',' decimals] ['%']
 *   integer  := digit+                       (no separators: `1460`)
 *             | group1 ('.' group3)+         (`1.460`, `310.800.000`)
 *   group1   := 1 to 3 digits; group3 := exactly 3 digits
 *   decimals := 1 to 6 digits, kept as written (`100,0` has scale 1)
 *
 * so '.' only separates thousands (`1.46`, `1.4600`, `12.34,5` are errors,
 * never guessed to be decimals) and ',' is the decimal mark.  The integer
 * part has no leading zero (`0,65` but not `05` or `0.123`: the last is an
 * English decimal far more often than the number 123).  `-0` reads as 0.
 * A space inside (`1 000`, `96,1 %`) is an error, as is anything else: a
 * cell such as `Duy trì 100%`, `6/6` or `đạt` is text, not a number.
 *
 * Canonical form, written by xa_vnum_format(): '-' for a negative value,
 * dots every three integer digits, exactly `scale` decimals, '%' last.
 *
 * Invariants:
 *   1. a valid xa_vnum has 0 <= scale <= XA_VNUM_SCALE_MAX and
 *      units != INT64_MIN, so |units| is an int64 and negation is safe;
 *      every result written here is valid (asserted in put());
 *   2. parse(format(v)) == v for every valid v (percent as 0/1), and
 *      format(parse(s)) == s for every canonical s;
 *   3. arithmetic is exact: operands are widened to 128-bit magnitudes
 *      (|units| * 10^k with k <= 14 stays below 2^110), and a result that
 *      does not fit in 64 bits is refused with XA_ETOOBIG, never wrapped;
 *   4. rounding is half away from zero, on magnitudes, so -x rounds to
 *      -(round x) and there is no negative zero;
 *   5. *out is written only on success, after every input has been read,
 *      so out may alias an input.
 */
#include "xasync/vnum.h"

#include "xasync/error.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* 10^0 .. 10^19: the largest power of ten below 2^64. */
static const uint64_t pow10_tab[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* Longest piece of the input quoted in an error message, in bytes. */
#define QUOTE_MAX 48

/* ---- 128-bit unsigned magnitudes, portable (no __int128) ---- */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 mul64(uint64_t a, uint64_t b)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    u128 r;

    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

static int ucmp(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* The callers' operands stay below 2^111: no carry out of hi. */
static u128 uadd(u128 a, u128 b)
{
    u128 r;

    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    assert(r.hi >= a.hi);
    return r;
}

static u128 usub(u128 a, u128 b)
{
    u128 r;

    assert(ucmp(a, b) >= 0);
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo);
    return r;
}

/* Binary long division.  d is nonzero and below 2^127, so the running
 * remainder (< d) can be shifted left without losing a bit. */
static void udivmod(u128 n, u128 d, u128 *q, u128 *r)
{
    u128 quo = {0, 0}, rem = {0, 0};

    assert((d.hi || d.lo) && !(d.hi >> 63));
    for (int i = 127; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (n.hi >> (i - 64)) & 1 : (n.lo >> i) & 1;

        rem.hi = (rem.hi << 1) | (rem.lo >> 63);
        rem.lo = (rem.lo << 1) | bit;
        if (ucmp(rem, d) >= 0) {
            rem = usub(rem, d);
            if (i >= 64)
                quo.hi |= (uint64_t)1 << (i - 64);
            else
                quo.lo |= (uint64_t)1 << i;
        }
    }
    *q = quo;
    *r = rem;
}

/* ---- valid numbers ---- */

static int valid(const xa_vnum *v)
{
    return v->scale >= 0 && v->scale <= XA_VNUM_SCALE_MAX && v->units != INT64_MIN;
}

static int check(const xa_vnum *v, const char *what)
{
    if (valid(v))
        return 0;
    return xa_error_set(
        XA_EINVAL, "%s: not a valid number (units %" PRId64 ", scale %d; scale must be 0 to %d)",
        what, v->units, v->scale, XA_VNUM_SCALE_MAX);
}

static int check_decimals(int decimals, const char *what)
{
    if (decimals >= 0 && decimals <= XA_VNUM_SCALE_MAX)
        return 0;
    return xa_error_set(XA_EINVAL, "%s: %d decimals asked, 0 to %d allowed", what, decimals,
                        XA_VNUM_SCALE_MAX);
}

/* |units| of a valid number (invariant 1: never INT64_MIN). */
static uint64_t mag(int64_t units)
{
    return units < 0 ? (uint64_t)(-units) : (uint64_t)units;
}

/* Write the result (negative when neg and m > 0), or refuse it if |m| does
 * not fit in an int64 without INT64_MIN. */
static int put(int neg, u128 m, int scale, int percent, const char *what, xa_vnum *out)
{
    xa_vnum r;

    if (m.hi != 0 || m.lo > (uint64_t)INT64_MAX)
        return xa_error_set(XA_ETOOBIG, "%s: the result is too large for a 64-bit number", what);
    r.units = neg ? -(int64_t)m.lo : (int64_t)m.lo;
    r.scale = scale;
    r.percent = percent ? 1 : 0;
    assert(valid(&r));
    *out = r;
    return 0;
}

/* ---- parsing ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The error for the trimmed input [b, b+len), with the problem in words. */
static int bad(const char *b, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const char *b, size_t len, const char *fmt, ...)
{
    char why[160];
    const char *more = "";
    size_t shown = len;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (len > QUOTE_MAX) {
        /* cut before a UTF-8 continuation byte, not inside a letter */
        shown = QUOTE_MAX;
        while (shown > 0 && ((unsigned char)b[shown] & 0xc0) == 0x80)
            shown--;
        more = "...";
    }
    return xa_error_set(XA_EINVAL, "bad number \"%.*s%s\": %s", (int)shown, b, more, why);
}

/* The error for a character that has no place in a number. */
static int unexpected(const char *b, size_t len, const char *p, const char *e)
{
    unsigned char c = (unsigned char)*p;
    size_t at = (size_t)(p - b) + 1;
    static const char only[] = "a number has only digits, '.', ',', '-' and '%'";

    if (c == 0xc2 && p + 1 < e && (unsigned char)p[1] == 0xa0)
        return bad(b, len, "a non-breaking space at byte %zu", at);
    if (c > 0x20 && c < 0x7f)
        return bad(b, len, "unexpected '%c' at byte %zu (%s)", (char)c, at, only);
    return bad(b, len, "unexpected %s at byte %zu (%s)",
               c >= 0x80 ? "non-ASCII character" : "control character", at, only);
}

/* Digits from p up to e, as many as there are. */
static size_t span_digits(const char *p, const char *e)
{
    const char *q = p;

    while (q < e && is_digit(*q))
        q++;
    return (size_t)(q - p);
}

int xa_vnum_parse(const char *s, xa_vnum *out)
{
    const char *b, *e, *p, *digits, *numend;
    size_t len, n;
    uint64_t m = 0;
    int neg = 0, scale = 0, percent = 0;
    xa_vnum r;

    if (s == NULL)
        s = "";
    b = s;
    while (is_space(*b))
        b++;
    e = b + strlen(b);
    while (e > b && is_space(e[-1]))
        e--;
    len = (size_t)(e - b);
    if (len == 0)
        return xa_error_set(XA_EINVAL, "bad number: the text is empty");

    p = b;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    digits = p;

    /* the integer part: one run of digits, or groups split by dots */
    n = span_digits(p, e);
    if (n == 0) {
        if (p == e)
            return bad(b, len, "a minus sign with no digits");
        if (*p == '-')
            return bad(b, len, "more than one minus sign");
        if (*p == ',')
            return bad(b, len, "no digit before the decimal comma");
        if (*p == '.')
            return bad(b, len, "no digit before the thousands dot");
        if (*p == '%')
            return bad(b, len, "no digit before the percent sign");
        return unexpected(b, len, p, e);
    }
    if (*p == '0' && (n > 1 || (p + n < e && p[n] == '.')))
        return bad(b, len, "a leading zero in the integer part");
    p += n;
    if (p < e && *p == '.' && n > 3)
        return bad(b, len, "a group of %zu digits before a thousands dot (1 to 3)", n);
    while (p < e && *p == '.') {
        p++;
        n = span_digits(p, e);
        if (n == 0) {
            if (p < e && *p == '.')
                return bad(b, len, "two thousands dots in a row");
            return bad(b, len, "a thousands dot with no group of 3 digits after it");
        }
        if (n != 3)
            return bad(b, len, "a group of %zu digit%s after a thousands dot (need exactly 3)", n,
                       n == 1 ? "" : "s");
        p += n;
    }

    /* the decimals, kept as written */
    if (p < e && *p == ',') {
        p++;
        n = span_digits(p, e);
        if (n == 0)
            return bad(b, len, "no digit after the decimal comma");
        if (n > XA_VNUM_SCALE_MAX)
            return bad(b, len, "%zu decimals, more than %d", n, XA_VNUM_SCALE_MAX);
        scale = (int)n;
        p += n;
        if (p < e && *p == ',')
            return bad(b, len, "more than one decimal comma");
        if (p < e && *p == '.')
            return bad(b, len, "a thousands dot after the decimal comma");
    }
    numend = p;

    if (p < e && *p == '%') {
        percent = 1;
        p++;
    }
    if (p < e) {
        if (is_space(*p))
            return bad(b, len, "a space inside the number");
        if (*p == '%')
            return bad(b, len, "more than one percent sign");
        if (*p == '-')
            return bad(b, len, "a minus sign after the digits");
        return unexpected(b, len, p, e);
    }

    /* the form is right; now the value, refusing what int64 cannot hold */
    for (p = digits; p < numend; p++) {
        unsigned d;

        if (!is_digit(*p))
            continue;
        d = (unsigned)(*p - '0');
        if (m > ((uint64_t)INT64_MAX - d) / 10)
            return bad(b, len,
                       "too large: its digits, without the comma, must not exceed "
                       "9.223.372.036.854.775.807");
        m = m * 10 + d;
    }
    r.units = neg ? -(int64_t)m : (int64_t)m;
    r.scale = scale;
    r.percent = percent;
    assert(valid(&r));
    *out = r;
    return 0;
}

/* ---- formatting ---- */

int xa_vnum_format(const xa_vnum *v, char *buf, size_t cap)
{
    char rev[XA_VNUM_FMT_MAX];
    size_t n = 0;
    uint64_t m;
    int rc = check(v, "formatting a number");

    if (rc < 0)
        return rc;
    /* built backwards, from the '%' to the sign */
    m = mag(v->units);
    if (v->percent)
        rev[n++] = '%';
    for (int i = 0; i < v->scale; i++) {
        rev[n++] = (char)('0' + m % 10);
        m /= 10;
    }
    if (v->scale > 0)
        rev[n++] = ',';
    for (int digits = 0; digits == 0 || m > 0; digits++) {
        if (digits > 0 && digits % 3 == 0)
            rev[n++] = '.';
        rev[n++] = (char)('0' + m % 10);
        m /= 10;
    }
    if (v->units < 0)
        rev[n++] = '-';
    assert(n < XA_VNUM_FMT_MAX);

    if (buf == NULL || cap < n + 1)
        return xa_error_set(XA_ETOOBIG, "formatting a number: %zu bytes needed, the buffer has %zu",
                            n + 1, buf == NULL ? (size_t)0 : cap);
    for (size_t i = 0; i < n; i++)
        buf[i] = rev[n - 1 - i];
    buf[n] = '\0';
    return 0;
}

/* ---- arithmetic ---- */

int xa_vnum_ratio(const xa_vnum *num, const xa_vnum *den, int decimals, xa_vnum *out)
{
    static const char what[] = "ratio";
    u128 n, d, q, r;
    int rc = check(num, what);

    if (rc == 0)
        rc = check(den, what);
    if (rc == 0)
        rc = check_decimals(decimals, what);
    if (rc < 0)
        return rc;
    if (den->units == 0)
        return xa_error_set(XA_EINVAL, "ratio: the denominator is zero");

    /* num/den*100*10^decimals
     *   = |nu| * 10^(ds + 2 + decimals) / (|du| * 10^ns), exactly */
    n = mul64(mag(num->units), pow10_tab[den->scale + 2 + decimals]);
    d = mul64(mag(den->units), pow10_tab[num->scale]);
    udivmod(n, d, &q, &r);
    if (ucmp(r, usub(d, r)) >= 0) /* remainder at least half: away from zero */
        q = uadd(q, (u128){0, 1});
    return put((num->units < 0) != (den->units < 0), q, decimals, 0, what, out);
}

/* a + b, or a - b when negate_b. */
static int addsub(const xa_vnum *a, const xa_vnum *b, int negate_b, xa_vnum *out)
{
    const char *what = negate_b ? "subtraction" : "addition";
    int rc = check(a, what), scale, na, nb, neg;
    u128 ma, mb, m;

    if (rc == 0)
        rc = check(b, what);
    if (rc < 0)
        return rc;
    scale = a->scale > b->scale ? a->scale : b->scale;
    ma = mul64(mag(a->units), pow10_tab[scale - a->scale]);
    mb = mul64(mag(b->units), pow10_tab[scale - b->scale]);
    na = a->units < 0;
    nb = (b->units < 0) != (negate_b != 0);
    if (na == nb) {
        m = uadd(ma, mb);
        neg = na;
    } else if (ucmp(ma, mb) >= 0) {
        m = usub(ma, mb);
        neg = na;
    } else {
        m = usub(mb, ma);
        neg = nb;
    }
    return put(neg, m, scale, a->percent && b->percent, what, out);
}

int xa_vnum_sub(const xa_vnum *a, const xa_vnum *b, xa_vnum *out)
{
    return addsub(a, b, 1, out);
}

int xa_vnum_add(const xa_vnum *a, const xa_vnum *b, xa_vnum *out)
{
    return addsub(a, b, 0, out);
}

int xa_vnum_cmp(const xa_vnum *a, const xa_vnum *b)
{
    int na, nb, c;

    assert(valid(a) && valid(b));
    na = a->units < 0;
    nb = b->units < 0;
    if (na != nb)
        return na ? -1 : 1;
    /* same sign: compare magnitudes at the finest scale */
    c = ucmp(mul64(mag(a->units), pow10_tab[XA_VNUM_SCALE_MAX - a->scale]),
             mul64(mag(b->units), pow10_tab[XA_VNUM_SCALE_MAX - b->scale]));
    return na ? -c : c;
}

int xa_vnum_round(const xa_vnum *v, int decimals, xa_vnum *out)
{
    static const char what[] = "rounding";
    uint64_t m, p, q, r;
    int rc = check(v, what);

    if (rc == 0)
        rc = check_decimals(decimals, what);
    if (rc < 0)
        return rc;
    m = mag(v->units);
    if (decimals >= v->scale)
        return put(v->units < 0, mul64(m, pow10_tab[decimals - v->scale]), decimals, v->percent,
                   what, out);
    p = pow10_tab[v->scale - decimals];
    q = m / p;
    r = m % p;
    if (r >= p - r)
        q++;
    return put(v->units < 0, (u128){0, q}, decimals, v->percent, what, out);
}

/* ---- a figure typed into a cell ---- */

/* digits only, n of them, from p */
static int all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return 0;
    return n > 0;
}

int xa_vnum_input(const char *s, int unit_percent, char *out, size_t cap)
{
    static const char forms_vi[] = "số viết kiểu Việt Nam: 1.460 · 636,4 · 1.234.567,89 · 0,5 · -3";
    static const char forms_en[] = "Vietnamese figures: 1.460 · 636,4 · 1.234.567,89 · 0,5 · -3";
    const char *b = s ? s : "", *e;
    char t[64];
    size_t len;
    xa_vnum v;

    while (*b == ' ')
        b++;
    e = b + strlen(b);
    while (e > b && e[-1] == ' ')
        e--;
    len = (size_t)(e - b);
    if (len == 0 || len >= sizeof(t))
        return xa_error_set(XA_EINVAL,
                            "\"%.*s\" không phải là số (%s%s) / \"%.*s\" is not a "
                            "number (%s%s)",
                            (int)(len > 40 ? 40 : len), b, forms_vi, unit_percent ? " · 96,1%" : "",
                            (int)(len > 40 ? 40 : len), b, forms_en,
                            unit_percent ? " · 96,1%" : "");
    memcpy(t, b, len);
    t[len] = '\0';
    /* "1,460": a comma then exactly three digits, and no thousands dot: the
     * English one thousand four hundred sixty, or the Vietnamese 1,46? */
    {
        const char *p = t + (t[0] == '-'), *c = strchr(p, ',');
        size_t il = c ? (size_t)(c - p) : 0, dl = c ? strcspn(c + 1, "%") : 0;
        if (c && il >= 1 && il <= 3 && p[0] != '0' && all_digits(p, il) && dl == 3 &&
            all_digits(c + 1, 3) && (c[4] == '\0' || (c[4] == '%' && c[5] == '\0'))) {
            return xa_error_set(
                XA_EINVAL,
                "\"%s\" không rõ nghĩa: %s%.*s.%.3s (nghìn) hay %s%.*s,%.2s%s? "
                "Ghi rõ một trong hai / \"%s\" is ambiguous: %s%.*s.%.3s (thousands)"
                " or %s%.*s,%.2s%s? Write one of them",
                t, t[0] == '-' ? "-" : "", (int)il, p, c + 1, t[0] == '-' ? "-" : "", (int)il, p,
                c + 1, c[3] == '0' ? "" : &c[3], t, t[0] == '-' ? "-" : "", (int)il, p, c + 1,
                t[0] == '-' ? "-" : "", (int)il, p, c + 1, c[3] == '0' ? "" : &c[3]);
        }
    }
    if (xa_vnum_parse(t, &v) < 0) {
        /* an English decimal point ("636.4") or thousands comma ("1,234.5") */
        char why[200], hint[80] = "";
        const char *dot = strrchr(t, '.');
        snprintf(why, sizeof(why), "%s", xa_error_last());
        if (dot && !strchr(t, ',') && strcspn(dot + 1, "%") != 3 &&
            all_digits(dot + 1, strcspn(dot + 1, "%")))
            snprintf(hint, sizeof(hint), "; %.*s,%s?", (int)(dot - t), t, dot + 1);
        else if (dot && strchr(t, ',') && strchr(t, ',') < dot) {
            char g[64];
            size_t k = 0;
            for (const char *q = t; *q && k + 1 < sizeof(g); q++)
                g[k++] = *q == ',' ? '.' : *q == '.' ? ',' : *q;
            g[k] = '\0';
            snprintf(hint, sizeof(hint), "; %s?", g);
        }
        return xa_error_set(
            XA_EINVAL,
            "\"%s\" không phải là số hợp lệ%s (%s%s) / \"%s\" is not a valid number%s (%s%s; %s)",
            t, hint, forms_vi, unit_percent ? " · 96,1%" : "", t, hint, forms_en,
            unit_percent ? " · 96,1%" : "", why);
    }
    if (v.percent && !unit_percent)
        return xa_error_set(
            XA_EINVAL,
            "\"%s\": dấu %% chỉ dùng khi đơn vị tính là %% / \"%s\": a %% sign only "
            "where the unit is %%",
            t, t);
    v.percent = 0; /* the unit, or the column's heading, carries the % */
    return xa_vnum_format(&v, out, cap);
}
