/*
 * The .docx import's test harness (tests/report/test_docx_import_*.c): a
 * folder with the seed report imported into a.db of commune hoang-kim, the
 * real `xasync` run on a database, and readers of the report's JSON.
 * Include after <cmocka.h>.
 */
#ifndef XA_TEST_DOCXFX_H
#define XA_TEST_DOCXFX_H

#include "support.h"
#include "util.h"

#include <cjson/cJSON.h>

typedef struct xi_fx {
    char *dir, *db;
} xi_fx;

xt_run xi_run_db(const char *db, const char *const *argv);

/* A fresh database dir/name of commune hoang-kim (malloc'd path). */
char *xi_new_db(xi_fx *f, const char *name);

int xi_setup(void **state);

int xi_teardown(void **state);

void xi_import_ok(const char *db, const char *file);

void xi_export_docx(const char *db, const char *out);

char *xi_export_fmt(const char *db, const char *fmt);

cJSON *xi_report_json(const char *db);

const char *xi_str_of(const cJSON *o, const char *key);

const char *xi_header(const cJSON *j, const char *key);

/* The lines of an array field joined by "\n" (malloc'd). */
char *xi_lines_of(const cJSON *o, const char *key);

/* The first live block of a kind whose text (or num) starts with `pre`. */
const cJSON *xi_block(const cJSON *j, const char *kind, const char *key, const char *pre);

const cJSON *xi_row(const cJSON *j, const char *tt);

void xi_expect_row(const cJSON *j, const char *const cols[10]);

/* The soffice the build found (XA_SOFFICE), or NULL. */
const char *xi_soffice(void);
/* LibreOffice converts dir/name.html (a report of commune Nga Thạch) to
 * `fmt` ("docx:MS Word 2007 XML"); the result's path (malloc'd). */
char *xi_lo_convert(xi_fx *f, const char *name, const char *fmt, const char *ext);

#endif
