/*
 * Vietnamese-format numbers, exact: the figures of a report's indicator
 * table (`1.460`, `636,4`, `96,1%`) and its derived columns.
 *
 * A number is a decimal: value = units / 10^scale, with 0 <= scale <=
 * XA_VNUM_SCALE_MAX and |units| <= INT64_MAX (INT64_MIN is never used, so a
 * sign can always be flipped).  scale is what was written: `100,0` keeps
 * scale 1 and is formatted back as `100,0`.  No floating point anywhere.
 *
 * Written form: an optional '-', the integer part with '.' between groups
 * of three digits (or no dots at all), an optional ',' and 1 to 6 decimals,
 * an optional '%'.  See storage/vnum.c for the full rules.
 *
 * Every function taking an xa_vnum needs a valid one (scale in range, units
 * not INT64_MIN); the fallible ones return XA_EINVAL for an invalid one.
 * Results are written to *out only on success; out may alias an input.
 */
#ifndef XASYNC_VNUM_H
#define XASYNC_VNUM_H

#include <stddef.h>
#include <stdint.h>

/* Most decimals a number may have. */
#define XA_VNUM_SCALE_MAX 6
/* A buffer this size holds any formatted number and its NUL: at most a
 * sign, 19 digits, 6 dots, a comma and a percent sign (28 bytes). */
#define XA_VNUM_FMT_MAX 32

typedef struct xa_vnum {
    int64_t units; /* value = units / 10^scale */
    int scale;     /* 0 .. XA_VNUM_SCALE_MAX */
    int percent;   /* nonzero: written with a '%' sign */
} xa_vnum;

/* Parse s (leading and trailing spaces and tabs allowed).  0, or XA_EINVAL
 * with a message naming the problem (a group of two digits after a dot,
 * more than 6 decimals, too large for 64 bits, ...).  NULL s is empty. */
int xa_vnum_parse(const char *s, xa_vnum *out);

/* Write v into buf (cap bytes, NUL included): `-1.460,5%`.  0; XA_ETOOBIG
 * if cap is too small (XA_VNUM_FMT_MAX always suffices), buf then left
 * unchanged; XA_EINVAL for an invalid v. */
int xa_vnum_format(const xa_vnum *v, char *buf, size_t cap);

/* *out := num / den * 100, rounded half away from zero to `decimals`
 * (0 .. XA_VNUM_SCALE_MAX) places; out->scale = decimals and out->percent
 * = 0 (the seed's ratio columns carry the '%' in their heading).  The
 * operands' percent flags are ignored.  XA_EINVAL for a zero denominator or
 * bad decimals; XA_ETOOBIG if the result does not fit. */
int xa_vnum_ratio(const xa_vnum *num, const xa_vnum *den, int decimals, xa_vnum *out);

/* *out := a - b and a + b, exactly, with scale = the larger of the two;
 * percent is kept when both operands have it.  XA_ETOOBIG if the result
 * does not fit. */
int xa_vnum_sub(const xa_vnum *a, const xa_vnum *b, xa_vnum *out);
int xa_vnum_add(const xa_vnum *a, const xa_vnum *b, xa_vnum *out);

/* Compare by value (scale and percent do not matter: `100,00` equals
 * `100`): -1, 0 or 1.  a and b must be valid (asserted). */
int xa_vnum_cmp(const xa_vnum *a, const xa_vnum *b);

/* *out := v with exactly `decimals` places (0 .. XA_VNUM_SCALE_MAX):
 * rounded half away from zero when there are fewer, padded with zeros when
 * there are more; percent kept.  XA_EINVAL for bad decimals, XA_ETOOBIG if
 * padding does not fit. */
int xa_vnum_round(const xa_vnum *v, int decimals, xa_vnum *out);

/* A figure as a clerk types it into a cell, checked at the door: the
 * written form above, strictly, with a '%' only when `unit_percent`;
 * `1460` is taken and written back `1.460`; `1,460` (a comma then three
 * digits, no thousands dot) is refused as ambiguous with both readings
 * offered; `636.4` is refused with `636,4?` offered.  On success the
 * canonical form (without '%': the unit carries it) goes to out (cap
 * bytes, XA_VNUM_FMT_MAX suffices).  XA_EINVAL with a message in
 * Vietnamese and English naming the accepted forms. */
int xa_vnum_input(const char *s, int unit_percent, char *out, size_t cap);

#endif
