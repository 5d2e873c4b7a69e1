/*
 * Forms ("biểu mẫu") the district defines, the units their figures are
 * in, a commune table's rows bound to the form's indicators, a report's
 * life (draft → sent → accepted or returned) and the rollup by meaning.
 *
 * Everything is data in the journal:
 *   - a form is the entity `form/<ID>` with one field `json` (the form's
 *     canonical JSON, below), written by the district's node into its own
 *     scope XA_FORMS_SCOPE and into every commune's scope, so it reaches the
 *     PCs with their next sync (or by USB) and has history.  A PC never
 *     writes it (`xasync set form/...` is refused);
 *   - a report names its form in its header field `form`; each table row
 *     carries `code` (the indicator it stands for, "" for none) and
 *     `bound_by` (name | fallback | position | manual | "" when unbound);
 *   - a report's life is in its header fields: `state` (sent | accepted |
 *     returned), `sent` (the bound figures as sent, JSON, below), `sent_at`
 *     (ms since 1970), `state_reason` (why it was returned), `state_at` and
 *     `state_for` (the sent_at the district's decision was about).
 *
 * Form JSON:
 *   {"format": "xasync-form", "version": 1, "id": "so-ket-6-thang-2024",
 *    "kind": "so-ket-6-thang", "period_type": "half-year", "title": "...",
 *    "head": [table header lines], "outline": [{"kind": "part"|"heading",
 *    "num", "text"} | {"kind": "table"}], "derived": ["vs_prev", "vs_plan",
 *    "remain"], "units": [extra count units, e.g. "suất"],
 *    "groups": [{"id": "I", "name": "Về kinh tế (11 chỉ tiêu)"}],
 *    "indicators": [{"code": "KT-04", "tt": "4", "name": "...", "unit":
 *    "tấn", "group": "I", "aggregation": "sum"|"mean"|"ratio"|"none",
 *    "numerator": CODE, "denominator": CODE (ratio), "year_end": bool,
 *    "also_units": ["tạ", "kg"] (units communes may write; each must
 *    convert to "unit")}]}
 * The columns a commune fills are prev (KQ cùng kỳ), plan (KH năm), est
 * (ước thực hiện) and note; the derived ones are so với cùng kỳ =
 * est/prev×100, so với kế hoạch = est/plan×100, còn phải thực hiện =
 * plan−est.
 */
#ifndef XASYNC_FORM_H
#define XASYNC_FORM_H

#include "xasync/report.h"
#include "xasync/store.h"
#include "xasync/vnum.h"

#include <stddef.h>
#include <stdint.h>

/* The district's own scope for its forms: never a commune (a commune's
 * scope starts with a letter in practice; this one cannot be registered
 * by mistake because the district refuses it in `commune add`). */
#define XA_FORMS_SCOPE "0-forms"

/* ---- text and units (units.c) ------------------------------------------ */

/* A name for matching: lowercase (Vietnamese letters included), NBSP and
 * runs of spaces as one space, trimmed, trailing ':' '.' dropped, and the
 * usual abbreviations written out (NTM, BHYT, DN, Trđ, ...).  `fold` also
 * drops the diacritics (the fallback match).  malloc'd, NULL on ENOMEM. */
char *xa_name_key(const char *name, int fold);

/* A unit as the table knows it: its dimension (mass, area, money, %, or a
 * count of its own: người, hộ, thôn, DN, xã, ...) and its size as a power
 * of ten of the dimension's base (tấn 3, tạ 2, kg 0; ha 4, m² 0; triệu
 * đồng 6, đồng 0; % 1, ‰ 0).  0, or XA_ENOTFOUND. `extra` (may be NULL,
 * n entries) are count units a form adds. */
int xa_unit_lookup(
    const char *unit, const char *const *extra, size_t n, char *dim, size_t dimcap, int *exp10);

/* *out := v converted from unit `from` to unit `to`, exactly (a shift of
 * the decimal point).  XA_EINVAL (message names both units) when they do
 * not convert; XA_ETOOBIG when the result does not fit 6 decimals. */
int xa_unit_convert(const xa_vnum *v,
                    const char *from,
                    const char *to,
                    const char *const *extra,
                    size_t n,
                    xa_vnum *out);

/* A figure as a clerk may have typed it into a cell: xa_vnum_parse after
 * NBSP and spaces around it are dropped and an NBSP (or space) between
 * groups of three digits is read as the thousands dot. */
int xa_figure_parse(const char *s, xa_vnum *out);

/* v as an exact decimal string for programs: "636.4", "-3", "1460". */
void xa_vnum_decimal(const xa_vnum *v, char *buf, size_t cap);

/* ---- forms (form.c) ---------------------------------------------------- */

enum { XA_AGG_SUM = 1, XA_AGG_MEAN, XA_AGG_RATIO, XA_AGG_NONE };

typedef struct xa_indicator {
    char *code, *tt, *name, *unit, *group;
    int agg;
    char *num, *den; /* ratio: the codes of the numerator and denominator */
    int year_end;
    size_t nalso;
    char **also;
} xa_indicator;

typedef struct xa_form_group {
    char *id, *name;
} xa_form_group;

typedef struct xa_form_block {
    char *kind, *num, *text;
} xa_form_block;

typedef struct xa_form {
    char *id, *kind, *period_type, *title;
    char *head;  /* table header lines, '\n' between */
    int derived; /* bits: 1 vs_prev, 2 vs_plan, 4 remain */
    size_t nunits;
    char **units;
    size_t ngroups;
    xa_form_group *groups;
    size_t noutline;
    xa_form_block *outline;
    size_t n;
    xa_indicator *ind;
    char *json; /* canonical JSON */
} xa_form;

void xa_form_free(xa_form *f);

/* Parse and validate a form strictly: XA_EINVAL with a message naming the
 * problem (not a form, an unknown aggregation, a unit the table does not
 * know, a conversion that does not exist, a period type or kind outside
 * the vocabulary, a duplicate code, a ratio naming a code not in the form).
 * A kind outside the vocabulary is taken only with `new_kind`. */
int xa_form_parse(const char *json, size_t len, int new_kind, xa_form *out);

/* The built-in kinds and their period types. */
const char *xa_kind_period_type(const char *kind);

/* A form made from a report: its table's rows become indicators (codes
 * CT-01, CT-02a, ...; the default aggregation: % and ‰ units, averages
 * and rates are a mean, text figures none, the rest a sum), its headings
 * the outline.  *json malloc'd (pretty-printed, for the district to edit). */
int xa_form_from_report(const xa_report *r, const char *id, char **json);

/* Write the form into `scope` (entity form/<ID>, field json).  Inside the
 * caller's transaction or on its own. */
int xa_form_put(xa_store *st, const char *scope, const xa_form *f, const char *author);
/* Read a form held in `scope` (XA_ENOTFOUND if none). */
int xa_form_get(xa_store *st, const char *scope, const char *id, xa_form *out);
/* The form ids held in `scope`, sorted. */
int xa_form_list(xa_store *st, const char *scope, char ***ids, size_t *n);
/* Copy every form of XA_FORMS_SCOPE into `scope` (a commune added later). */
int xa_forms_push(xa_store *st, const char *scope, const char *author);

const xa_indicator *xa_form_find(const xa_form *f, const char *code);

/* A period for a period type: 2024-h1 | 2024 | 2024-q3 | 2024-07.
 * XA_EINVAL listing the valid forms. */
int xa_period_check(const char *period_type, const char *period);

/* The period a report is for, from its title (and its date when the title
 * names no year): "Sơ kết … 6 tháng đầu năm 2024" → 2024-h1; a year-end
 * report dated January 2025 whose title says 2024 → 2024.  `text` is the
 * report file (its title is the line after "BÁO CÁO", its date the line
 * with ", ngày").  XA_EINVAL when it cannot be told. */
int xa_period_guess(const char *text, const char *period_type, char *out, size_t cap);

/* ---- binding (bind.c) -------------------------------------------------- */

/* Bind the rows of a report to the form: by normalised name (and unit), by
 * the diacritics-insensitive name as a reported fallback, or by position
 * (TT) as a suggestion; rows bound by hand stay.  Writes code/bound_by
 * where they change (and the report's `form`), in the caller's transaction
 * if there is one.  *changed (may be NULL) counts rows rebound. */
int xa_report_bind_all(xa_store *st,
                       const char *scope,
                       const char *id,
                       const xa_form *f,
                       const char *author,
                       size_t *changed);

/* Findings about the binding of a report that follows a form, appended to
 * a `report check` list (every other member of an appended finding is
 * zeroed): rows bound by position only (bind.position), by the
 * diacritics-insensitive fallback (bind.fallback), or not at all
 * (bind.unbound), and units that do not convert to the indicator's
 * (bind.unit).  `f` may be NULL (nothing added: the report follows no form
 * held here).  Each carries its code and severity (warning; bind.unit an
 * error). */
int xa_bind_findings(const xa_report *r, const xa_form *f, xa_finding **list, size_t *n);

/* After an edit of a row's name or unit: bind the report's rows again if it
 * follows a form held here (nothing otherwise).  In the caller's
 * transaction. */
int xa_report_rebind(xa_store *st, const char *scope, const char *id, const char *author);

/* `report bind PATH CODE`: bind one row by hand (CODE "-" unbinds).
 * XA_EINVAL for a code not in the report's form. */
int xa_report_bind(xa_store *st,
                   const char *scope,
                   const char *id,
                   const char *path,
                   const char *code,
                   const char *author);

/* The form a report names (XA_ENOTFOUND if it names none, or the form is
 * not held here). */
int xa_report_form(xa_store *st, const char *scope, const char *id, xa_form *out);

/* The unit a row is in: its own, or the one a ditto mark (") repeats. */
const char *xa_row_unit(const xa_report *r, size_t i);

/* Start a report from a form: headings, the table, its rows bound, empty
 * figures.  XA_EEXISTS if `id` exists; XA_EINVAL for a bad period. */
int xa_report_new(xa_store *st,
                  const char *scope,
                  const char *id,
                  const xa_form *f,
                  const char *period,
                  const char *author);

/* ---- a report's life (state.c) ----------------------------------------- */

typedef struct xa_report_state {
    char state[16];   /* draft | sent | accepted | returned */
    int edited;       /* changed since it was sent (a new draft) */
    int64_t sent_at;  /* 0: never sent */
    char reason[512]; /* why it was returned */
    int conflict;     /* state or snapshot fields hold concurrent values */
} xa_report_state;

int xa_report_state_get(xa_store *st, const char *scope, const char *id, xa_report_state *out);

/* Mark the current version sent: state, sent_at and the snapshot. */
int xa_report_submit(xa_store *st, const char *scope, const char *id, const char *author);

/* The district's decision on the version last sent: "accepted" or
 * "returned" (with a reason).  XA_EINVAL if the report was never sent. */
int xa_report_decide(xa_store *st,
                     const char *scope,
                     const char *id,
                     const char *decision,
                     const char *reason,
                     const char *author);

/* The snapshot of a report's bound figures, as `sent` keeps it (JSON,
 * malloc'd; NULL with the error set):
 *   {"digest": hex of the report's whole text and bindings,
 *    "rows": [{"code", "bound_by", "tt", "name", "unit" (ditto resolved),
 *              "prev", "plan", "est", "conflict": {COLUMN: [values]}}],
 *    "unbound": [{"tt", "name"}]} */
char *xa_report_snapshot(xa_store *st, const char *scope, const xa_report *r);

/* ---- rollup by meaning (rollup.c) -------------------------------------- */

typedef struct xa_rollup2_opts {
    const char *form;
    const char *period;
    int include_drafts;
} xa_rollup2_opts;

/* The rollup as a JSON document (malloc'd): see rollup.c.  The text, CSV
 * and HTML forms are printed from it (xa_rollup2_print). */
int xa_rollup2(xa_store *st, const xa_rollup2_opts *o, char **json);

enum { XA_ROLLUP_TEXT = 1, XA_ROLLUP_JSON, XA_ROLLUP_CSV, XA_ROLLUP_HTML };
int xa_rollup2_print(const char *json, int format, int by_commune, char **out);

#endif
