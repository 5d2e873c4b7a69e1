/*
 * What the district benchmarks share (bench_rollup, bench_desk): a clock,
 * the median of runs, and the district they measure: N communes, each with
 * one report of a 30-indicator form, figures filled in and sent, written
 * in process into a district database as syncs would leave it.
 */
#ifndef XA_BENCH_FIXTURE_H
#define XA_BENCH_FIXTURE_H

#include "xasync/form.h"
#include "xasync/store.h"

/* CLOCK_MONOTONIC in milliseconds. */
double xb_now_ms(void);
/* The median of v[0..n) (sorts v). */
double xb_median(double *v, int n);
/* Print "NAME: what: the last error" on stderr and exit 1. */
_Noreturn void xb_die(const char *name, const char *what);
/* `s` as a JSON string (malloc'd). */
char *xb_jstr(const char *s);

/* The form "bench": 30 indicators KT-01 .. KT-30 in five units, summed but
 * for every fifth one (a mean).  Exits on failure. */
void xb_form(xa_form *f);
/* A report `id` of `f` for `period` in `scope`, its figures (prev, plan,
 * est of every row) filled in from `c` and sent.  Exits on failure. */
void xb_report_fill(
    xa_store *st, const char *scope, const char *id, const xa_form *f, const char *period, int c);
/* The district: the form (xb_form) in the forms' scope, communes xa-000 ..
 * xa-(n-1) named "Xã số C", each with the form and a report
 * "report-2024-h1" for 2024-h1 filled in and sent.  `f` is left holding
 * the form (xa_form_free).  Returns xb_now_ms() at the start, for the
 * setup's time.  Exits on failure. */
double xb_district(xa_store *st, int ncommunes, xa_form *f);

#endif
