/*
 * The commune report on top of fields (docs/design.md, "The report on top of
 * fields").
 *
 * A report is an entity (`report-2024-h1`) whose fields are its header:
 *   kind, period, number, place, date, doctype, title, body (issuing body),
 *   signer_role, signer_name, recipients (the "Nơi nhận" list, one a line),
 *   recipients_label ("Nơi nhận:").
 * Its body is a list of block entities `<report>/b/<id>` ordered by their
 * fractional `pos` (then by id), each with
 *   kind: part | heading | para | bullet | table | row
 *   text: the line's text (for a heading, after its number)
 *   num:  a heading's number as printed ("I.", "2.1.", "1.2", "Phần thứ nhất")
 *   marker: a bullet's "-", "+" or "*"
 *   deleted: "1" once deleted (blocks are never removed: a concurrent edit
 *            of a deleted block must not resurrect it silently)
 * An indicator table is a block (kind table) holding its header lines
 * (head, one a line) and, if the table was split over pages, the rows
 * the page breaks come before (break: their ids, space-separated) and the
 * header repeated at each (head2: one after the other, separated by a line
 * holding a form feed; empty where only blank lines came between).  Its rows
 * are blocks of kind row, in the same order as the body, with
 *   table (the table block's id), tt, name, unit, prev, plan, est, note,
 *   and the derived columns as printed when imported (vs_prev, vs_plan,
 *   remain; a blank is kept as printed too) with the figures they were
 *   printed for (printed_for, "prev|plan|est").  Those are checked, never
 *   trusted: once prev, plan or est differ from printed_for, or a derived
 *   column is "=" or absent, it is computed when the report is printed.
 *   (Nothing is written to them on an edit, so two PCs editing one figure
 *   conflict on that figure only.)
 *
 * Every change is an op through the journal, so it syncs and has history.
 */
#ifndef XASYNC_REPORT_H
#define XASYNC_REPORT_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

/* One block, as read back from the fields (every string malloc'd; absent
 * fields are ""). */
typedef struct xa_block {
    char *id;   /* the part after "<report>/b/" */
    char *kind; /* part | heading | para | bullet | table | row */
    char *pos;
    char *text, *num, *marker;
    /* rows */
    char *table, *tt, *name, *unit, *prev, *plan, *est, *note;
    char *vs_prev, *vs_plan, *remain;
    char *printed_for;     /* "prev|plan|est" the printed derived columns were for */
    char *code, *bound_by; /* the form's indicator the row stands for, and how (form.h) */
    /* tables */
    char *head, *head2, *brk;
    int deleted;
    int conflict; /* some field of the block holds concurrent values */
} xa_block;

typedef struct xa_report {
    char id[XA_ENTITY_MAX + 1];
    /* header */
    char *kind, *period, *number, *place, *date, *doctype, *title, *body;
    char *signer_role, *signer_name, *recipients, *recipients_label;
    int header_conflict;
    size_t n;
    xa_block *b; /* in order; deleted blocks included, marked */
} xa_report;

void xa_report_free(xa_report *r);

/* An import's findings: lines it could not place (kept as paragraphs). */
typedef struct xa_import_result {
    size_t headings, paras, bullets, rows, cells, tables;
    size_t nwarn;
    char **warn; /* malloc'd lines "line N: ..." */
} xa_import_result;

void xa_import_result_free(xa_import_result *r);

/* Parse a report in the seed's text form and write it as report `id` (one
 * transaction: all or nothing).  `kind` and `period` (what the district
 * adds up across communes) default to what the title and date say: a
 * "Sơ kết … 6 tháng đầu năm" of "năm 2024" is kind "so-ket-6-thang",
 * period "2024-h1".  XA_EINVAL for text that is not a report
 * (empty, not UTF-8, no title, a table row with a missing column), with
 * the line named; XA_EEXISTS if the report exists. */
int xa_report_import(xa_store *st,
                     const char *scope,
                     const char *id,
                     const char *kind,
                     const char *period,
                     const char *text,
                     size_t len,
                     const char *author,
                     xa_import_result *res);

/* The same with flags.  XA_IMPORT_FORCE: lines that cannot be placed (a
 * table row with a cell past the last column, or a column missing, a row
 * with no table header above it, text after the signature) are kept as
 * paragraphs and listed in res->warn; without it the import is refused,
 * naming them ("line N: why"), and nothing is written. */
#define XA_IMPORT_FORCE 1u
int xa_report_import_flags(xa_store *st,
                           const char *scope,
                           const char *id,
                           const char *kind,
                           const char *period,
                           const char *text,
                           size_t len,
                           const char *author,
                           unsigned flags,
                           xa_import_result *res);

/* Read a report back (XA_ENOTFOUND if there is none). */
int xa_report_load(xa_store *st, const char *scope, const char *id, xa_report *out);

/* The report ids of a scope, sorted; *ids is the caller's. */
int xa_report_list(xa_store *st, const char *scope, char ***ids, size_t *n);
void xa_report_list_free(char **ids, size_t n);

/* Render: text reproduces the seed's form; html is a printable page in the
 * layout of a Vietnamese administrative document; json a document for
 * programs.  Fields in conflict are marked in every format.  *out is
 * malloc'd. */
enum { XA_REPORT_TEXT = 1, XA_REPORT_HTML = 2, XA_REPORT_JSON = 3, XA_REPORT_DOCX = 4 };
int xa_report_render(const xa_report *r, int format, char **out);

/* The report as a Word document (.docx) in the layout of Nghị định
 * 30/2020/NĐ-CP (report/docx.c); XA_REPORT_DOCX is binary, so
 * xa_report_render() refuses it.  *out (malloc'd, *len bytes) is written
 * only on success. */
int xa_report_docx(const xa_report *r, unsigned char **out, size_t *len);

/* Write len bytes to path through a temporary file in the same folder and
 * a rename: on any error path is left as it was.  XA_EIO names the file
 * and the reason, in Vietnamese and English. */
int xa_write_file(const char *path, const void *data, size_t len);

/* Resolve a clerk's path to an entity and field:
 *   header/so (number), header/place, header/date, header/title,
 *   header/body, header/signer, header/signer_role, header/recipients
 *   ind/4/est (row TT 4; columns name unit prev plan est note)
 *   2.1 or "I." or "Phần thứ nhất" (a heading's text)
 *   b/<id> or b/<id>/<field> (any block)
 * XA_ENOTFOUND if the path names nothing. */
int xa_report_path(
    const xa_report *r, const char *path, char *entity, size_t ecap, char *field, size_t fcap);

/* Edit through a path: writes the field (and, for prev/plan/est, clears
 * the row's printed derived columns). */
int xa_report_edit(xa_store *st,
                   const char *scope,
                   const char *id,
                   const char *path,
                   const char *value,
                   const char *author);

/* A value for the field a path resolved to, checked at the door: every
 * table cell is one line without tabs; a figure (prev, plan, est and the
 * derived columns) is a Vietnamese number (vnum.h, xa_vnum_input) stored
 * in its normal form (`1460` -> `1.460`), or text only where the row is a
 * text row.  *out (malloc'd) is the value to store.  XA_EINVAL names the
 * cell (`path`, or ind/TT/FIELD when NULL) and the accepted forms, in
 * Vietnamese and English.  Fields of other entities are taken as they are. */
int xa_report_cell_value(const xa_report *r,
                         const char *entity,
                         const char *field,
                         const char *path,
                         const char *value,
                         char **out);

/* Add a block after the block a path names (or at the end when `after` is
 * NULL), with a fractional position between its neighbours and a random
 * id, so two PCs adding at the same place both keep theirs.  *new_id (if
 * not NULL, XA_ENTITY_MAX + 1 bytes) gets the block's path "b/<id>". */
int xa_report_add(xa_store *st,
                  const char *scope,
                  const char *id,
                  const char *after,
                  const char *kind,
                  const char *text,
                  const char *author,
                  char *new_id);

/* Mark the block a path names deleted. */
int xa_report_delete(
    xa_store *st, const char *scope, const char *id, const char *path, const char *author);

/* A fractional position strictly between a and b ("" = the ends), with a
 * random tail so that two PCs inserting at the same place differ.  `out`
 * holds at least 64 bytes. */
int xa_pos_between(const char *a, const char *b, char *out, size_t cap);

/* Findings of `report check`, in Vietnamese and English. */
typedef struct xa_finding {
    char *where; /* a cell path "ind/4/vs_plan", or a block and its sentence "b/0042#2" */
    char *vi;
    char *en;
    char code[32];     /* stable: "table.ratio", "prose.mismatch", … ("" if none) */
    char severity[12]; /* "error": figures that contradict; "warning": missing or doubtful */
    char *excerpt;     /* the words concerned, or NULL */
    char *fix_path;    /* the computed fix, as an edit `report fix` makes: a path */
    char *fix_value;   /*   and its value; both NULL when there is no computed fix */
} xa_finding;

int xa_report_check(const xa_report *r, xa_finding **out, size_t *n);
void xa_findings_free(xa_finding *f, size_t n);

/* The district's sum of each indicator across communes: the reports of a
 * kind and period, one per commune (the first found), rows matched by TT
 * (and name for "-" sub-rows).  Figures in % (and any that is not a
 * number) are not added up: `additive` is 0 and the sums are left at 0. */
typedef struct xa_rollup_row {
    char *tt, *name, *unit;
    int additive;
    int64_t prev_u, plan_u, est_u; /* sums as xa_vnum units at `scale` */
    int scale;
    size_t nprev, nplan, nest; /* communes that gave the figure */
} xa_rollup_row;

typedef struct xa_rollup {
    size_t nrows;
    xa_rollup_row *rows;
    size_t nreported, nmissing;
    char **reported; /* scopes with such a report */
    char **missing;  /* scopes without */
} xa_rollup;

int xa_report_rollup(xa_store *st,
                     const char *const *scopes,
                     size_t nscopes,
                     const char *kind,
                     const char *period,
                     xa_rollup *out);
void xa_rollup_free(xa_rollup *r);

/* The rollup as a report (report/rollup_doc.c), to print it in any format:
 * the communes that reported and those that have not, and the table of
 * sums (derived columns computed from them).  *out is the caller's to
 * xa_report_free(). */
int xa_rollup_report(const xa_rollup *ru, const char *kind, const char *period, xa_report *out);

#endif
