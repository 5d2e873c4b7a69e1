/*
 * The store's test harness (tests/storage/test_store_*.c): a fresh database
 * of one scope in a temporary folder (or the folder alone), ops made by
 * hand, checks of return codes that report every mismatch, and comparing
 * values, fields and ops.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_STOREFX_H
#define XA_TEST_STOREFX_H

#include "support.h"
#include "util.h"
#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

#define SCOPE "hoang-kim"
#define ENT "ind-4"
#define FLD "est"

/* B sorts before A numerically. */
#define NA ((xa_node)0xa000000000000001ULL)
#define NB ((xa_node)0x0b00000000000002ULL)
#define HLC0 ((int64_t)1719800000000)

/* Contexts: A's first op; A's and B's first ops. */
static const xa_dot CTX_A1[] = {{NA, 1}};
static const xa_dot CTX_A1B1[] = {{NA, 1}, {NB, 1}};

typedef struct xs_fx {
    char *dir;
    char *path;
    xa_store *st;
} xs_fx;

int xs_setup(void **state);

int xs_teardown(void **state);

/* A dir only, no store. */
int xs_setup_dir(void **state);

void xs_must(int rc, const char *what);

void xs_expect_rc(int rc, int want, const char *what);

/* For lists of independent checks: report every mismatch, then fail once at
 * the end (xs_soft_done), so one wrong answer does not hide the others. */
void xs_soft_rc(int rc, int want, const char *what);

void xs_soft_done(void);

/* A value of `len` bytes: a JSON string of 'x' (a static buffer). */
const char *xs_big_value(size_t len);

int xs_value_equal(const xa_value *a, const xa_value *b);

int xs_field_equal(const xa_field *a, const xa_field *b);

void xs_print_field(const char *what, const xa_field *f);

int xs_op_equal(const xa_op *a, const xa_op *b);

/* cmocka tests with a fresh store, or with the folder alone. */
#define XS_TEST(name) cmocka_unit_test_setup_teardown(name, xs_setup, xs_teardown)
#define XS_TEST_DIR(name) cmocka_unit_test_setup_teardown(name, xs_setup_dir, xs_teardown)

#endif
