/*
 * `xasync report new|bind|submit|state` and the form side of `report
 * import` (report_life.c): forms the district sent, rows bound to them, and
 * the report's life.
 */
#ifndef XA_REPORT_LIFE_H
#define XA_REPORT_LIFE_H

#include "cli.h"
#include "xasync/form.h"

/* Before an import: the form (--form, else none) and the period (--period,
 * else told from the text), both checked; 0 or an exit code (reported).
 * *have_form is set when `form` was filled (the caller frees it). */
int xa_life_import_prepare(xa_cli *cli,
                           xa_store *st,
                           const char *text,
                           char *period,
                           size_t cap,
                           xa_form *form,
                           int *have_form);

/* After an import: bind the rows to the form given, or to the one form
 * held whose kind is the report's; prints what was bound. */
int xa_life_import_bind(xa_cli *cli, xa_store *st, const char *id, xa_form *form, int have_form);

/* report new | bind | submit | state; `id` is the picked report for the
 * last three.  Each closes nothing (the caller closes the store). */
int xa_life_new(xa_cli *cli, xa_store *st);
int xa_life_bind(xa_cli *cli, xa_store *st, const char *id);
int xa_life_submit(xa_cli *cli, xa_store *st, const char *id);
int xa_life_state(xa_cli *cli, xa_store *st, const char *id);

/* report copy --period P [--report FROM] [--id ID]: a new report for period
 * P (id report-P unless --id) holding FROM's text and blocks (deleted ones
 * left out), its header but for its life (sent, accepted, returned), with
 * years in the title, the date, the parts' and headings' titles and the
 * table's heads moved by as many years as the periods are apart; in each row this period's figure (est)
 * becomes the previous period's (prev), this period's is left empty, the
 * derived columns are computed, and the year's plan is kept within the
 * same year only.  One transaction. */
int xa_life_copy(xa_cli *cli, xa_store *st, const char *from);

#endif
