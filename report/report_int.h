/*
 * Report internals shared by the files of report/: a growing string
 * buffer, the derived columns, and the one encoding of values.
 */
#ifndef XA_REPORT_INT_H
#define XA_REPORT_INT_H

#include "xasync/report.h"

#include <stddef.h>

typedef struct xa_sb {
    char *p;
    size_t n, cap;
    int failed;
} xa_sb;

int xa_sb_add(xa_sb *b, const char *s, size_t n);
int xa_sb_puts(xa_sb *b, const char *s);
int xa_sb_printf(xa_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A row's derived columns as printed: the imported text while present, else
 * computed from prev, plan and est ("" when a figure is missing or not a
 * number).  Each buffer holds `cap` bytes. */
void xa_report_derived(const xa_block *b, char *vs_prev, char *vs_plan, char *remain, size_t cap);

int xa_report_render_html(const xa_report *r, char **out);
/* report_json.c (cJSON). */
int xa_report_render_json(const xa_report *r, char **out);

/* A report value as the store keeps it (a JSON string) and back: the one
 * encoding of the report layer (report_json.c).  encode: malloc'd JSON,
 * NULL when out of memory.  decode: the string's text, or the JSON text
 * itself if it is not a string; malloc'd, NULL when out of memory. */
char *xa_rvalue_encode(const char *text);
char *xa_rvalue_decode(const char *json);

#endif
