/* The store's test harness (tests/storage/test_store_*.c): a fresh database: storefx.h. */
#include "storefx.h"

#include "xasync/error.h"
#include "xasync/vv.h"

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

int xs_setup(void **state)
{
    xs_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = xt_tempdir();
    f->path = xt_path(f->dir, "main.db");
    int rc = xa_store_create(&f->st, f->path, SCOPE);
    if (rc != 0)
        fail_msg("xa_store_create: %d %s", rc, xa_error_last());
    *state = f;
    return 0;
}

int xs_teardown(void **state)
{
    xs_fx *f = *state;
    xa_store_close(f->st);
    free(f->path);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* A dir only, no store. */
int xs_setup_dir(void **state)
{
    xs_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = xt_tempdir();
    f->path = xt_path(f->dir, "main.db");
    *state = f;
    return 0;
}

void xs_must(int rc, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %d (%s) %s", what, rc, xa_error_name(rc), xa_error_last());
}

void xs_expect_rc(int rc, int want, const char *what)
{
    if (rc != want)
        fail_msg("%s: got %d (%s), want %d (%s)%s%s", what, rc, xa_error_name(rc), want,
                 xa_error_name(want), rc < 0 ? "; " : "", rc < 0 ? xa_error_last() : "");
}

/* For lists of independent checks: report every mismatch, then fail once at
 * the end (soft_done), so one wrong answer does not hide the others. */
static int soft_failures;

void xs_soft_rc(int rc, int want, const char *what)
{
    if (rc != want) {
        print_error("%s: got %d (%s), want %d (%s)%s%s\n", what, rc, xa_error_name(rc), want,
                    xa_error_name(want), rc < 0 ? "; " : "", rc < 0 ? xa_error_last() : "");
        soft_failures++;
    }
}

void xs_soft_done(void)
{
    int n = soft_failures;
    soft_failures = 0;
    if (n)
        fail_msg("%d check(s) above failed", n);
}

/* A value of `len` bytes: a JSON string of 'x'. */
static char big[XA_VALUE_MAX + 16];

const char *xs_big_value(size_t len)
{
    assert_true(len >= 2 && len < sizeof big);
    memset(big, 'x', len);
    big[0] = '"';
    big[len - 1] = '"';
    big[len] = '\0';
    return big;
}

int xs_value_equal(const xa_value *a, const xa_value *b)
{
    return a->dot.node == b->dot.node && a->dot.seq == b->dot.seq &&
           strcmp(a->value, b->value) == 0 && a->hlc == b->hlc && strcmp(a->author, b->author) == 0;
}

int xs_field_equal(const xa_field *a, const xa_field *b)
{
    if (strcmp(a->entity, b->entity) != 0 || strcmp(a->field, b->field) != 0 || a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!xs_value_equal(&a->v[i], &b->v[i]))
            return 0;
    return xa_vv_equal(&a->fctx, &b->fctx);
}

void xs_print_field(const char *what, const xa_field *f)
{
    fprintf(stderr, "%s: %s/%s [", what, f->entity, f->field);
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "%s%s@%016llx:%llu hlc=%lld by %s", i ? ", " : "", f->v[i].value,
                (unsigned long long)f->v[i].dot.node, (unsigned long long)f->v[i].dot.seq,
                (long long)f->v[i].hlc, f->v[i].author);
    char *s = xa_vv_format(&f->fctx);
    fprintf(stderr, "] fctx {%s}\n", s ? s : "?");
    free(s);
}

int xs_op_equal(const xa_op *a, const xa_op *b)
{
    return strcmp(a->scope, b->scope) == 0 && a->node == b->node && a->seq == b->seq &&
           strcmp(a->entity, b->entity) == 0 && strcmp(a->field, b->field) == 0 &&
           strcmp(a->value, b->value) == 0 && xa_vv_equal(&a->ctx, &b->ctx) && a->hlc == b->hlc &&
           strcmp(a->author, b->author) == 0;
}
