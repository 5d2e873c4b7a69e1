/*
 * Tests of Vietnamese-format numbers (include/xasync/vnum.h).
 *
 * Checked here: every form the seed report writes (`1.460`, `636,4`,
 * `96,1%`, `310.800.000`), every way a cell can fail to be a number (each
 * refused with a message that names the problem), formatting that gives
 * back the canonical text exactly, and the seed's derived columns computed
 * exactly, including the two places where the seed itself is wrong
 * (row 5's 56,6 and row 4's 824).
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vnum.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

/* A number from text the test knows to be valid. */
static xa_vnum num(const char *s)
{
    xa_vnum v;
    int rc = xa_vnum_parse(s, &v);

    if (rc != 0)
        fail_msg("parsing \"%s\": %s", s, xa_error_last());
    return v;
}

static void assert_formats(const xa_vnum *v, const char *want)
{
    char buf[XA_VNUM_FMT_MAX];

    assert_int_equal(xa_vnum_format(v, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

/* Message check: the error names the problem with this word. */
static void assert_message_has(const char *input, const char *word)
{
    const char *msg = xa_error_last();

    if (strstr(msg, word) == NULL)
        fail_msg("parsing \"%s\": message \"%s\" lacks \"%s\"", input, msg, word);
}

/* ---- parse and format ---- */

typedef struct parse_case {
    const char *in;
    int64_t units;
    int scale;
    int percent;
    const char *out; /* formatted again; NULL: same as in (canonical) */
} parse_case;

static const parse_case valid_cases[] = {
    /* canonical: the seed's own figures, formatted back unchanged */
    {"1.460", 1460, 0, 0, NULL},
    {"1.460.000", 1460000, 0, 0, NULL},
    {"636,4", 6364, 1, 0, NULL},
    {"96,1%", 961, 1, 1, NULL},
    {"-6,5", -65, 1, 0, NULL},
    {"0,65", 65, 2, 0, NULL},
    {"100", 100, 0, 0, NULL},
    {"100,0", 1000, 1, 0, NULL},
    {"100,00", 10000, 2, 0, NULL},
    {"310.800.000", 310800000, 0, 0, NULL},
    {"-2.657", -2657, 0, 0, NULL},
    {"18.038", 18038, 0, 0, NULL},
    {"36.054", 36054, 0, 0, NULL},
    {"5.774", 5774, 0, 0, NULL},
    {"573", 573, 0, 0, NULL},
    {"19,5", 195, 1, 0, NULL},
    {"44,61", 4461, 2, 0, NULL},
    {"0,48", 48, 2, 0, NULL},
    {"125%", 125, 0, 1, NULL},
    {"-0,5", -5, 1, 0, NULL},
    {"-1.000,25%", -100025, 2, 1, NULL},
    {"0", 0, 0, 0, NULL},
    {"0,0", 0, 1, 0, NULL},
    {"999", 999, 0, 0, NULL},
    {"1.000", 1000, 0, 0, NULL},
    {"0,000001", 1, 6, 0, NULL},
    {"922.337.203.685,477580", 922337203685477580, 6, 0, NULL},
    {"9.223.372.036.854.775.807", INT64_MAX, 0, 0, NULL},
    {"-9.223.372.036.854.775.807", -INT64_MAX, 0, 0, NULL},
    {"9.223.372.036.854,775807", INT64_MAX, 6, 0, NULL},
    /* accepted but not canonical: formatted the canonical way */
    {"  573  ", 573, 0, 0, "573"},
    {"\t17\r\n", 17, 0, 0, "17"},
    {"1460", 1460, 0, 0, "1.460"},
    {"310800000", 310800000, 0, 0, "310.800.000"},
    {"9223372036854775807", INT64_MAX, 0, 0, "9.223.372.036.854.775.807"},
    {"-0", 0, 0, 0, "0"},
    {"-0,0", 0, 1, 0, "0,0"},
    {"1234,5", 12345, 1, 0, "1.234,5"},
};

typedef struct bad_case {
    const char *in;
    const char *word; /* the message must contain it */
} bad_case;

static const bad_case invalid_cases[] = {
    {"", "empty"},
    {"   ", "empty"},
    {"Duy trì 100%", "unexpected 'D'"},
    {"6/6", "unexpected '/'"},
    {"đạt", "non-ASCII"},
    {"1,2,3", "more than one decimal comma"},
    {"1.2", "group of 1 digit after a thousands dot"},
    {"1.46", "group of 2 digits"},
    {"1.4600", "group of 4 digits"},
    {"12.34,5", "group of 2 digits"},
    {"1460.000", "before a thousands dot"},
    {",5", "no digit before the decimal comma"},
    {"5,", "no digit after the decimal comma"},
    {"1..000", "two thousands dots"},
    {"1.000.", "thousands dot with no group"},
    {".5", "before the thousands dot"},
    {"--1", "more than one minus"},
    {"-", "minus sign with no digits"},
    {"1-", "minus sign after"},
    {"+5", "unexpected '+'"},
    {"1 000", "space inside"},
    {"96,1 %", "space inside"},
    {"1\xc2\xa0"
     "000",
     "non-breaking space"},
    {"9223372036854775808", "too large"},
    {"9.223.372.036.854.775.808", "too large"},
    {"-9.223.372.036.854.775.808", "too large"},
    {"99999999999999999999999", "too large"},
    {"9.223.372.036.854,7758071", "decimals"},
    {"0,1234567", "7 decimals, more than 6"},
    {"1,5.000", "thousands dot after the decimal comma"},
    {"5%%", "more than one percent"},
    {"%", "no digit before the percent"},
    {"01", "leading zero"},
    {"0.123", "leading zero"},
    {"1e3", "unexpected 'e'"},
    {"0x10", "unexpected 'x'"},
    {"1,5\x01", "control character"},
};

static void test_vnum__parse_valid(void **state)
{
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const parse_case *c = &valid_cases[i];
        xa_vnum v = {-1, -1, -1};
        int rc = xa_vnum_parse(c->in, &v);

        if (rc != 0)
            fail_msg("parsing \"%s\": %d %s", c->in, rc, xa_error_last());
        assert_int_equal(v.units, c->units);
        assert_int_equal(v.scale, c->scale);
        assert_int_equal(v.percent, c->percent);
        assert_formats(&v, c->out ? c->out : c->in);
    }
}

static void test_vnum__parse_invalid(void **state)
{
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const bad_case *c = &invalid_cases[i];
        xa_vnum v = {42, 3, 1};
        int rc = xa_vnum_parse(c->in, &v);

        if (rc != XA_EINVAL)
            fail_msg("parsing \"%s\": got %d, want XA_EINVAL", c->in, rc);
        assert_message_has(c->in, c->word);
        /* out written only on success */
        assert_int_equal(v.units, 42);
        assert_int_equal(v.scale, 3);
        assert_int_equal(v.percent, 1);
    }
    assert_int_equal(xa_vnum_parse(NULL, &(xa_vnum){0, 0, 0}), XA_EINVAL);
    assert_message_has("NULL", "empty");
}

/* A long bad input is quoted shortened, and never cut inside a letter: its
 * 48th byte falls inside the "á" of "đánh", so the quote stops after "đ". */
static void test_vnum__long_input_quoted_whole_letters(void **state)
{
    const char *in = "Tiếp tục duy trì 100% đến hết năm, đánh giá vào cuối năm";
    xa_vnum v;
    const char *msg;

    assert_int_equal(xa_vnum_parse(in, &v), XA_EINVAL);
    msg = xa_error_last();
    assert_true(xa_utf8_valid(msg, strlen(msg)));
    assert_non_null(strstr(msg, "năm, đ...\""));
    assert_non_null(strstr(msg, "unexpected 'T' at byte 1"));
}

static void test_vnum__format_refuses_small_buffer(void **state)
{
    xa_vnum v = num("-1.460,5%");
    char buf[16];

    memset(buf, 'x', sizeof(buf));
    /* "-1.460,5%" is 9 bytes and a NUL */
    assert_int_equal(xa_vnum_format(&v, buf, 9), XA_ETOOBIG);
    assert_non_null(strstr(xa_error_last(), "10 bytes needed"));
    assert_int_equal(buf[0], 'x'); /* untouched */
    assert_int_equal(xa_vnum_format(&v, buf, 0), XA_ETOOBIG);
    assert_int_equal(xa_vnum_format(&v, NULL, 10), XA_ETOOBIG);
    assert_int_equal(xa_vnum_format(&v, buf, 10), 0);
    assert_string_equal(buf, "-1.460,5%");

    /* the longest number fits XA_VNUM_FMT_MAX */
    v = (xa_vnum){-INT64_MAX, 0, 1};
    assert_formats(&v, "-9.223.372.036.854.775.807%");
    assert_true(strlen("-9.223.372.036.854.775.807%") < XA_VNUM_FMT_MAX);
}

static void test_vnum__invalid_structs_refused(void **state)
{
    xa_vnum bad_scale = {1, XA_VNUM_SCALE_MAX + 1, 0};
    xa_vnum neg_scale = {1, -1, 0};
    xa_vnum min = {INT64_MIN, 0, 0};
    xa_vnum one = {1, 0, 0}, out = {7, 7, 7};
    char buf[XA_VNUM_FMT_MAX];

    assert_int_equal(xa_vnum_format(&bad_scale, buf, sizeof(buf)), XA_EINVAL);
    assert_non_null(strstr(xa_error_last(), "scale 7"));
    assert_int_equal(xa_vnum_format(&neg_scale, buf, sizeof(buf)), XA_EINVAL);
    assert_int_equal(xa_vnum_format(&min, buf, sizeof(buf)), XA_EINVAL);
    assert_int_equal(xa_vnum_add(&min, &one, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_sub(&one, &bad_scale, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_ratio(&one, &min, 1, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_round(&bad_scale, 1, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_round(&one, 7, &out), XA_EINVAL);
    assert_non_null(strstr(xa_error_last(), "7 decimals"));
    assert_int_equal(xa_vnum_round(&one, -1, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_ratio(&one, &one, 7, &out), XA_EINVAL);
    assert_int_equal(out.units, 7);
}

/* parse(format(v)) == v over a spread of values, scales and signs. */
static void test_vnum__format_parse_round_trip(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    for (int i = 0; i < 20000; i++) {
        xa_vnum v, back;
        char buf[XA_VNUM_FMT_MAX], again[XA_VNUM_FMT_MAX];

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* small, medium and full-width magnitudes */
        v.units = (int64_t)((x >> 1) >> ((x >> 3) % 63));
        if (x & 1)
            v.units = -v.units;
        v.scale = (int)((x >> 8) % (XA_VNUM_SCALE_MAX + 1));
        v.percent = (int)((x >> 12) & 1);
        assert_int_equal(xa_vnum_format(&v, buf, sizeof(buf)), 0);
        assert_int_equal(xa_vnum_parse(buf, &back), 0);
        assert_int_equal(back.units, v.units);
        assert_int_equal(back.scale, v.scale);
        assert_int_equal(back.percent, v.percent);
        assert_int_equal(xa_vnum_format(&back, again, sizeof(again)), 0);
        assert_string_equal(again, buf);
    }
}

/* ---- the seed's derived columns ---- */

typedef struct ratio_case {
    const char *num, *den;
    int decimals;
    const char *want;
} ratio_case;

static const ratio_case ratio_cases[] = {
    /* row 4: sản lượng lương thực */
    {"636,4", "573", 1, "111,1"},
    {"636,4", "1.460", 1, "43,6"},
    /* row 5: thủy sản; the seed prints 56,6 for 8,5/15 = 56,666..., wrong */
    {"8,5", "19,5", 1, "43,6"},
    {"8,5", "15", 1, "56,7"},
    /* row 6 */
    {"35", "35", 1, "100,0"},
    /* rows 8 and 9: ngân sách */
    {"36.054", "5.774", 1, "624,4"},
    {"36.054", "18.038", 1, "199,9"},
    {"15.381", "3.652", 1, "421,2"},
    {"15.381", "18.038", 1, "85,3"},
    /* row 10 */
    {"3", "1", 1, "300,0"},
    {"3", "4", 1, "75,0"},
    /* row 15: BHYT */
    {"96,4", "95", 1, "101,5"},
    {"96,4", "96,4", 1, "100,0"},
    /* row 19 */
    {"50", "40", 1, "125,0"},
    {"50", "40", 0, "125"},
    /* percent signs on the operands do not change the ratio */
    {"50%", "40%", 1, "125,0"},
    /* halves, away from zero, with either sign */
    {"1", "8", 0, "13"},
    {"-1", "8", 0, "-13"},
    {"1", "-8", 0, "-13"},
    {"-1", "-8", 0, "13"},
    {"1", "16", 1, "6,3"},
    {"-1", "16", 1, "-6,3"},
    {"1", "3", 0, "33"},
    {"2", "3", 2, "66,67"},
    {"-2", "3", 2, "-66,67"},
    /* tiny results round to zero without a sign */
    {"-1", "3.000.000", 1, "0,0"},
    {"0", "-5", 1, "0,0"},
    /* extreme operands stay exact */
    {"0,000001", "9.223.372.036.854.775.807", 6, "0,000000"},
    {"9.223.372.036.854.775.807", "9.223.372.036.854.775.807", 6, "100,000000"},
    {"92.233.720.368.547,75807", "1.000.000", 6, "9.223.372.036,854776"},
};

static void test_vnum__ratios_reproduce_the_seed(void **state)
{
    for (size_t i = 0; i < sizeof(ratio_cases) / sizeof(ratio_cases[0]); i++) {
        const ratio_case *c = &ratio_cases[i];
        xa_vnum n = num(c->num), d = num(c->den), r = {7, 7, 7};
        char buf[XA_VNUM_FMT_MAX];
        int rc = xa_vnum_ratio(&n, &d, c->decimals, &r);

        if (rc != 0)
            fail_msg("%s / %s: %d %s", c->num, c->den, rc, xa_error_last());
        assert_int_equal(r.scale, c->decimals);
        assert_int_equal(r.percent, 0);
        assert_int_equal(xa_vnum_format(&r, buf, sizeof(buf)), 0);
        if (strcmp(buf, c->want) != 0)
            fail_msg("%s / %s * 100 = %s, want %s", c->num, c->den, buf, c->want);
    }
}

static void test_vnum__ratio_refuses_zero_and_overflow(void **state)
{
    xa_vnum n = num("636,4"), zero = num("0"), zero1 = num("0,0"), out = {7, 7, 7};
    xa_vnum big = num("9.223.372.036.854.775.807"), tiny = num("0,000001");

    assert_int_equal(xa_vnum_ratio(&n, &zero, 1, &out), XA_EINVAL);
    assert_non_null(strstr(xa_error_last(), "zero"));
    assert_int_equal(xa_vnum_ratio(&n, &zero1, 1, &out), XA_EINVAL);
    assert_int_equal(xa_vnum_ratio(&big, &tiny, 0, &out), XA_ETOOBIG);
    assert_non_null(strstr(xa_error_last(), "too large"));
    assert_int_equal(out.units, 7);
    /* big/1*100 no longer fits either */
    assert_int_equal(xa_vnum_ratio(&big, &(xa_vnum){1, 0, 0}, 0, &out), XA_ETOOBIG);
}

typedef struct sub_case {
    const char *a, *b, *want;
} sub_case;

static const sub_case sub_cases[] = {
    /* còn phải thực hiện = plan - est; row 4 prints 824, wrong */
    {"1.460", "636,4", "823,6"},
    {"15", "8,5", "6,5"},
    {"18.038", "15.381", "2.657"},
    {"4", "3", "1"},
    {"96,4", "96,4", "0,0"},
    {"35", "35", "0"},
    /* signs and the larger scale */
    {"3", "4", "-1"},
    {"-1,5", "-1,5", "0,0"},
    {"-1,5", "1,25", "-2,75"},
    {"0,000001", "1", "-0,999999"},
    {"100%", "96,4%", "3,6%"},
    {"100%", "96,4", "3,6"},
    /* alignment to the larger scale stays exact near the limit */
    {"922.337.203.685.477.580,7", "922.337.203.685.477.580", "0,7"},
    {"-9.223.372.036.854.775.807", "-9.223.372.036.854.775.807", "0"},
};

static void test_vnum__subtractions(void **state)
{
    for (size_t i = 0; i < sizeof(sub_cases) / sizeof(sub_cases[0]); i++) {
        const sub_case *c = &sub_cases[i];
        xa_vnum a = num(c->a), b = num(c->b), r, back;
        char buf[XA_VNUM_FMT_MAX];

        assert_int_equal(xa_vnum_sub(&a, &b, &r), 0);
        assert_int_equal(r.scale, a.scale > b.scale ? a.scale : b.scale);
        assert_int_equal(xa_vnum_format(&r, buf, sizeof(buf)), 0);
        if (strcmp(buf, c->want) != 0)
            fail_msg("%s - %s = %s, want %s", c->a, c->b, buf, c->want);
        /* and back: r + b == a */
        assert_int_equal(xa_vnum_add(&r, &b, &back), 0);
        assert_int_equal(xa_vnum_cmp(&back, &a), 0);
    }
}

static void test_vnum__sums(void **state)
{
    /* row 2: cơ cấu giá trị sản xuất adds up to 100 */
    xa_vnum s = num("7,9"), b = num("44,61"), c = num("47,49"), hundred = num("100");

    assert_int_equal(xa_vnum_add(&s, &b, &s), 0); /* out may alias an input */
    assert_int_equal(xa_vnum_add(&s, &c, &s), 0);
    assert_formats(&s, "100,00");
    assert_int_equal(xa_vnum_cmp(&s, &hundred), 0);

    s = num("-1,5");
    b = num("0,25");
    assert_int_equal(xa_vnum_add(&s, &b, &s), 0);
    assert_formats(&s, "-1,25");
    b = num("1,25");
    assert_int_equal(xa_vnum_add(&s, &b, &s), 0);
    assert_formats(&s, "0,00");
}

static void test_vnum__overflow_refused(void **state)
{
    xa_vnum max = num("9.223.372.036.854.775.807"), min = num("-9.223.372.036.854.775.807");
    xa_vnum one = num("1"), tenth = num("0,1"), out = {7, 7, 7};

    assert_int_equal(xa_vnum_add(&max, &one, &out), XA_ETOOBIG);
    assert_non_null(strstr(xa_error_last(), "too large"));
    assert_int_equal(xa_vnum_sub(&min, &one, &out), XA_ETOOBIG);
    assert_int_equal(xa_vnum_sub(&max, &min, &out), XA_ETOOBIG);
    /* the other operand's scale alone pushes it over */
    assert_int_equal(xa_vnum_add(&max, &tenth, &out), XA_ETOOBIG);
    assert_int_equal(xa_vnum_round(&max, 1, &out), XA_ETOOBIG);
    assert_int_equal(out.units, 7);
    /* right at the limit is fine */
    assert_int_equal(xa_vnum_sub(&max, &one, &out), 0);
    assert_int_equal(xa_vnum_add(&out, &one, &out), 0);
    assert_int_equal(xa_vnum_cmp(&out, &max), 0);
    assert_int_equal(xa_vnum_add(&max, &min, &out), 0);
    assert_formats(&out, "0");
}

/* ---- rounding and comparison ---- */

typedef struct round_case {
    const char *in;
    int decimals;
    const char *want;
} round_case;

static const round_case round_cases[] = {
    {"0,05", 1, "0,1"},
    {"-0,05", 1, "-0,1"},
    {"2,45", 1, "2,5"},
    {"-2,45", 1, "-2,5"},
    {"2,449", 1, "2,4"},
    {"-2,449", 1, "-2,4"},
    {"2,5", 0, "3"},
    {"-2,5", 0, "-3"},
    {"3,5", 0, "4"},
    {"1,4999", 0, "1"},
    {"56,666667", 1, "56,7"},
    {"9,995", 2, "10,00"},
    {"999,95", 1, "1.000,0"},
    {"-999,95", 1, "-1.000,0"},
    {"-0,04", 1, "0,0"},
    {"-0,4", 0, "0"},
    {"0,000005", 5, "0,00001"},
    {"1,5", 3, "1,500"},
    {"96,1%", 0, "96%"},
    {"7", 0, "7"},
    {"9.223.372.036.854,775807", 0, "9.223.372.036.855"},
};

static void test_vnum__rounding_half_away_from_zero(void **state)
{
    for (size_t i = 0; i < sizeof(round_cases) / sizeof(round_cases[0]); i++) {
        const round_case *c = &round_cases[i];
        xa_vnum v = num(c->in), r;
        char buf[XA_VNUM_FMT_MAX];

        assert_int_equal(xa_vnum_round(&v, c->decimals, &r), 0);
        assert_int_equal(r.scale, c->decimals);
        assert_int_equal(xa_vnum_format(&r, buf, sizeof(buf)), 0);
        if (strcmp(buf, c->want) != 0)
            fail_msg("round(%s, %d) = %s, want %s", c->in, c->decimals, buf, c->want);
    }
}

typedef struct cmp_case {
    const char *a, *b;
    int want;
} cmp_case;

static const cmp_case cmp_cases[] = {
    {"100,00", "100", 0},
    {"100", "100,0%", 0},
    {"-0", "0,000", 0},
    {"0,5", "0,49", 1},
    {"-0,5", "-0,49", -1},
    {"-1", "0", -1},
    {"0", "-0,000001", 1},
    {"1.460", "636,4", 1},
    {"9.223.372.036.854.775.807", "9.223.372.036.854,775807", 1},
    {"-9.223.372.036.854.775.807", "-9.223.372.036.854,775807", -1},
    {"9.223.372.036.854,775807", "9.223.372.036.854,775806", 1},
};

static void test_vnum__compare_by_value(void **state)
{
    for (size_t i = 0; i < sizeof(cmp_cases) / sizeof(cmp_cases[0]); i++) {
        const cmp_case *c = &cmp_cases[i];
        xa_vnum a = num(c->a), b = num(c->b);

        if (xa_vnum_cmp(&a, &b) != c->want || xa_vnum_cmp(&b, &a) != -c->want)
            fail_msg("cmp(%s, %s) = %d, want %d", c->a, c->b, xa_vnum_cmp(&a, &b), c->want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnum__parse_valid),
        cmocka_unit_test(test_vnum__parse_invalid),
        cmocka_unit_test(test_vnum__long_input_quoted_whole_letters),
        cmocka_unit_test(test_vnum__format_refuses_small_buffer),
        cmocka_unit_test(test_vnum__invalid_structs_refused),
        cmocka_unit_test(test_vnum__format_parse_round_trip),
        cmocka_unit_test(test_vnum__ratios_reproduce_the_seed),
        cmocka_unit_test(test_vnum__ratio_refuses_zero_and_overflow),
        cmocka_unit_test(test_vnum__subtractions),
        cmocka_unit_test(test_vnum__sums),
        cmocka_unit_test(test_vnum__overflow_refused),
        cmocka_unit_test(test_vnum__rounding_half_away_from_zero),
        cmocka_unit_test(test_vnum__compare_by_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
