/*
 * The commune report (docs/design.md, "The report on top of fields";
 * include/xasync/report.h): the real `xasync report …` and
 * `xasync-district` processes on real database files, with the seed report
 * tests/fixtures/bao-cao-so-ket-6-thang-2024.txt.  The harness and the cast:
 * tests/support/reportfx.h.
 *
 * What must hold:
 *   6. Bad input is refused with exit 1 (2 for a wrong usage), a one-line
 *      "xasync: " message naming the problem, and the database unchanged.
 */
#include "reportfx.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---------------------------------------------------------------------- */
/* Bad input                                                               */

static void import_fails(
    const xr_fx *f, const char *name, const char *data, size_t len, const char *needle, int line)
{
    char *path = xt_path(f->dir, name);

    xt_write_file(path, data, len);
    xr_fails_at(f, f->a, ARGV("--db", f->a, "report", "import", path), 1, needle, __FILE__, line);
    {
        char *list = XA_OUT(f, "--db", f->a, "report", "list");
        assert_string_equal(list, "");
        free(list);
    }
    free(path);
}

static void test_report__import_refuses_a_shopping_list(void **state)
{
    static const char list[] = "Danh sách đi chợ\n\n- Gạo 5 kg\n- Nước mắm\n- Rau muống\n"
                               "- Thịt lợn 1 kg\n\nTổng: 350.000 đồng\n";

    import_fails(*state, "di-cho.txt", list, strlen(list), "not a report", __LINE__);
}

static void test_report__import_refuses_an_empty_file(void **state)
{
    import_fails(*state, "empty.txt", "", 0, "empty", __LINE__);
}

static void test_report__import_refuses_a_row_missing_a_column(void **state)
{
    char *seed = xr_seed_text(), *row = strstr(seed, "\n4\t"), *c5, *c6;

    /* Drop the 6th cell of row 4 (Ước thực hiện, 636,4) and its tab. */
    assert_non_null(row);
    c5 = row + 1;
    for (int i = 0; i < 5; i++) {
        c5 = strchr(c5, '\t');
        assert_non_null(c5);
        c5++;
    }
    c6 = strchr(c5, '\t');
    assert_non_null(c6);
    assert_true(strncmp(c5, "636,4\t", 6) == 0);
    memmove(c5, c6 + 1, strlen(c6 + 1) + 1);
    import_fails(*state, "missing-cell.txt", seed, strlen(seed), "line 149", __LINE__);
    free(seed);
}

static void test_report__import_refuses_latin1(void **state)
{
    /* The seed's first lines in ISO-8859-1: "Số", "BÁO CÁO", "Sơ kết" as
     * latin-1 bytes, which are not UTF-8. */
    static const char latin1[] =
        "S\xf3: /BC-UBND\n\nHo\xe0ng Kim, ng\xe0y  th\xe1ng 7 n\xe3m 2024\n\n"
        "B\xc1O C\xc1O\n\nS\xf3 k\xe9t c\xf4ng t\xe1\x63 thi \xf0ua\n\n"
        "I. \xd0\xc3\x43 \xd0I\xcaM\n";

    import_fails(*state, "latin1.txt", latin1, sizeof latin1 - 1, "UTF-8", __LINE__);
}

static void test_report__import_refuses_the_same_id_twice(void **state)
{
    xr_fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 1, "already exists", "--db", f->a, "report", "import", XA_SEED_REPORT);
}

static void test_report__paths_that_name_nothing_change_nothing(void **state)
{
    xr_fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 1, "nothing", "--db", f->a, "report", "edit", "nothing", "5");
    FAILS(f, f->a, 1, "99", "--db", f->a, "report", "edit", "ind/99/est", "5");
    FAILS(f, f->a, 1, "bogus", "--db", f->a, "report", "edit", "ind/4/bogus", "5");
    FAILS(f, f->a, 1, "nothing", "--db", f->a, "report", "delete", "nothing");
    FAILS(f, f->a, 1, "ffffffffff", "--db", f->a, "report", "delete", "b/ffffffffff");
    FAILS(f, f->a, 1, "bogus", "--db", f->a, "report", "edit", "header/bogus", "x");
}

static void test_report__export_format_pdf_is_a_usage_error(void **state)
{
    xr_fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 2, "--format", "--db", f->a, "report", "export", "--format", "pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XR_LOCAL(test_report__import_refuses_a_shopping_list),
        XR_LOCAL(test_report__import_refuses_an_empty_file),
        XR_LOCAL(test_report__import_refuses_a_row_missing_a_column),
        XR_LOCAL(test_report__import_refuses_latin1),
        XR_LOCAL(test_report__import_refuses_the_same_id_twice),
        XR_LOCAL(test_report__paths_that_name_nothing_change_nothing),
        XR_LOCAL(test_report__export_format_pdf_is_a_usage_error),
    };

    return xt_tests_status(cmocka_run_group_tests_name("test_report_refusals", tests, NULL, NULL));
}
