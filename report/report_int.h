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

/* ---- layout.c: what the printed forms share ---- */
#include <stdint.h>

#define XA_U8_BAD 0xFFFDu
/* One code point of the NUL-terminated s (U+FFFD for a byte that does not
 * start a valid, shortest-form sequence; then 1 byte); the bytes taken. */
size_t xa_u8next(const unsigned char *s, uint32_t *cp);
void xa_u8put(xa_sb *o, uint32_t cp);
/* The capital of a Vietnamese letter; anything else unchanged. */
uint32_t xa_vi_upper(uint32_t c);
/* Code points in s. */
size_t xa_u8len(const char *s);
/* s in capitals (malloc'd; NULL when out of memory). */
char *xa_vi_upper_str(const char *s);
/* A number "/BC-UBND" or a date "ngày tháng 7 năm 2024" whose day is to be
 * written by hand, with no-break spaces to write it in (malloc'd). */
char *xa_print_blank(const char *s);

/* The conversion leftovers of a text ("**bold**", "*italic*", "$formula$",
 * "\%", "<http://…>") as runs of plain text with their style, in order;
 * fn gets each run (not NUL-terminated).  -1 when out of memory. */
enum { XA_RUN_BOLD = 1, XA_RUN_ITALIC = 2 };
typedef void (*xa_run_fn)(void *ctx, const char *s, size_t n, int flags);
int xa_inline_runs(const char *text, xa_run_fn fn, void *ctx);
/* The same runs joined, unstyled (malloc'd; NULL when out of memory). */
char *xa_inline_plain(const char *text);

/* An indicator table's header lines as a grid of merged cells. */
typedef struct xa_head_cell {
    char *text;
    size_t colspan, rowspan; /* of the top-left cell of a merged cell */
    int covered;             /* inside another cell's span */
} xa_head_cell;
typedef struct xa_head_grid {
    size_t nrows, ncols;
    xa_head_cell *cells; /* nrows * ncols, row by row */
} xa_head_grid;
int xa_head_grid_build(const char *head, size_t ncols, xa_head_grid *g);
void xa_head_grid_free(xa_head_grid *g);
/* Is `row` the line of column numbers under the header (A, B, 1, 2, …,
 * "5=4/2*100"), the last line with every cell filled?  Printed smaller, not
 * bold, its formulas free to break after "=". */
int xa_head_numbering_row(const xa_head_grid *g, size_t row);

/* The indicator table's column widths in per-mille of its width. */
#define XA_TABLE_COLS 10
void xa_table_widths(const xa_report *r,
                     const xa_block *t,
                     const xa_head_grid *g,
                     unsigned widths[XA_TABLE_COLS]);

#endif
