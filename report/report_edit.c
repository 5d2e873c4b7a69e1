/*
 * Reading a report back from its fields, the paths a clerk uses, and the
 * edits through them (report.h).
 *
 * Invariants:
 *   1. load shows a field in conflict by its front value and marks the
 *      block (or the header) in conflict: nothing is hidden or decided;
 *   2. every edit is one or more ops through xa_store_set, in one
 *      transaction.
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/vnum.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static char *dup0(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *d = malloc(n + 1);

    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void block_free(xa_block *b)
{
    free(b->printed_for);
    free(b->code);
    free(b->bound_by);
    char **f[] = {&b->id,      &b->kind,    &b->pos,    &b->text, &b->num,   &b->marker, &b->table,
                  &b->tt,      &b->name,    &b->unit,   &b->prev, &b->plan,  &b->est,    &b->note,
                  &b->vs_prev, &b->vs_plan, &b->remain, &b->head, &b->head2, &b->brk};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        free(*f[i]);
}

void xa_report_free(xa_report *r)
{
    char **h[] = {&r->kind,        &r->period,      &r->number,     &r->place,
                  &r->date,        &r->doctype,     &r->title,      &r->body,
                  &r->signer_role, &r->signer_name, &r->recipients, &r->recipients_label};

    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        free(*h[i]);
    for (size_t i = 0; i < r->n; i++)
        block_free(&r->b[i]);
    free(r->b);
    memset(r, 0, sizeof(*r));
}

/* Where a field's text goes in a block. */
static char **block_slot(xa_block *b, const char *field)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"kind", offsetof(xa_block, kind)},
        {"pos", offsetof(xa_block, pos)},
        {"text", offsetof(xa_block, text)},
        {"num", offsetof(xa_block, num)},
        {"marker", offsetof(xa_block, marker)},
        {"table", offsetof(xa_block, table)},
        {"tt", offsetof(xa_block, tt)},
        {"name", offsetof(xa_block, name)},
        {"unit", offsetof(xa_block, unit)},
        {"prev", offsetof(xa_block, prev)},
        {"plan", offsetof(xa_block, plan)},
        {"est", offsetof(xa_block, est)},
        {"note", offsetof(xa_block, note)},
        {"vs_prev", offsetof(xa_block, vs_prev)},
        {"vs_plan", offsetof(xa_block, vs_plan)},
        {"remain", offsetof(xa_block, remain)},
        {"printed_for", offsetof(xa_block, printed_for)},
        {"code", offsetof(xa_block, code)},
        {"bound_by", offsetof(xa_block, bound_by)},
        {"head", offsetof(xa_block, head)},
        {"head2", offsetof(xa_block, head2)},
        {"break", offsetof(xa_block, brk)},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, field) == 0)
            return (char **)((char *)b + map[i].off);
    return NULL;
}

static char **header_slot(xa_report *r, const char *field)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"kind", offsetof(xa_report, kind)},
        {"period", offsetof(xa_report, period)},
        {"number", offsetof(xa_report, number)},
        {"place", offsetof(xa_report, place)},
        {"date", offsetof(xa_report, date)},
        {"doctype", offsetof(xa_report, doctype)},
        {"title", offsetof(xa_report, title)},
        {"body", offsetof(xa_report, body)},
        {"signer_role", offsetof(xa_report, signer_role)},
        {"signer_name", offsetof(xa_report, signer_name)},
        {"recipients", offsetof(xa_report, recipients)},
        {"recipients_label", offsetof(xa_report, recipients_label)},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, field) == 0)
            return (char **)((char *)r + map[i].off);
    return NULL;
}

static int block_order(const void *a, const void *b)
{
    const xa_block *x = a, *y = b;
    int c = strcmp(x->pos ? x->pos : "", y->pos ? y->pos : "");

    return c ? c : strcmp(x->id, y->id);
}

int xa_report_load(xa_store *st, const char *scope, const char *id, xa_report *out)
{
    xa_report r;
    xa_field *f = NULL;
    size_t nf = 0, plen, cap = 0;
    char prefix[XA_ENTITY_MAX + 8];
    int rc, found = 0;

    memset(&r, 0, sizeof(r));
    if ((rc = xa_check_entity(id)) < 0)
        return rc;
    snprintf(r.id, sizeof(r.id), "%s", id);
    plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/b/", id);
    rc = xa_store_fields(st, scope, NULL, 0, &f, &nf);
    for (size_t i = 0; rc == 0 && i < nf; i++) {
        char **slot = NULL;
        if (strcmp(f[i].entity, id) == 0) {
            found = 1;
            slot = header_slot(&r, f[i].field);
            if (f[i].n > 1)
                r.header_conflict = 1;
        } else if (strncmp(f[i].entity, prefix, plen) == 0) {
            const char *bid = f[i].entity + plen;
            /* fields come sorted by entity: a new block when the id changes */
            if (r.n == 0 || strcmp(r.b[r.n - 1].id, bid) != 0) {
                if (r.n == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    xa_block *nb = realloc(r.b, ncap * sizeof(*nb));
                    if (nb == NULL) {
                        rc = xa_error_set(XA_ENOMEM, "out of memory");
                        break;
                    }
                    r.b = nb;
                    cap = ncap;
                }
                memset(&r.b[r.n], 0, sizeof(r.b[0]));
                r.b[r.n].id = dup0(bid);
                r.n++;
            }
            xa_block *b = &r.b[r.n - 1];
            if (f[i].n > 1)
                b->conflict = 1;
            if (strcmp(f[i].field, "deleted") == 0) {
                char *v = xa_rvalue_decode(f[i].v[0].value);
                b->deleted = v && strcmp(v, "1") == 0;
                free(v);
                continue;
            }
            slot = block_slot(b, f[i].field);
        }
        if (slot && *slot == NULL)
            *slot = xa_rvalue_decode(f[i].v[0].value);
    }
    xa_fields_free(f, nf);
    if (rc == 0 && !found)
        rc = xa_error_set(XA_ENOTFOUND, "no report %s", id);
    if (rc < 0) {
        xa_report_free(&r);
        return rc;
    }
    /* absent fields read as "" */
    char **h[] = {&r.kind,        &r.period,      &r.number,     &r.place,
                  &r.date,        &r.doctype,     &r.title,      &r.body,
                  &r.signer_role, &r.signer_name, &r.recipients, &r.recipients_label};
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (*h[i] == NULL)
            *h[i] = dup0("");
    for (size_t i = 0; i < r.n; i++) {
        xa_block *b = &r.b[i];
        char **fs[] = {&b->kind,   &b->pos,  &b->text,  &b->num,     &b->marker,
                       &b->table,  &b->tt,   &b->name,  &b->unit,    &b->prev,
                       &b->plan,   &b->est,  &b->note,  &b->vs_prev, &b->vs_plan,
                       &b->remain, &b->head, &b->head2, &b->brk};
        /* An absent derived column is computed when printed ("="). */
        if (b->printed_for == NULL)
            b->printed_for = dup0("");
        if (b->code == NULL)
            b->code = dup0("");
        if (b->bound_by == NULL)
            b->bound_by = dup0("");
        char **der[] = {&b->vs_prev, &b->vs_plan, &b->remain};
        for (size_t k = 0; k < 3; k++)
            if (*der[k] == NULL)
                *der[k] = dup0("=");
        for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++)
            if (*fs[k] == NULL)
                *fs[k] = dup0("");
    }
    qsort(r.b, r.n, sizeof(r.b[0]), block_order);
    *out = r;
    return 0;
}

int xa_report_list(xa_store *st, const char *scope, char ***ids, size_t *n)
{
    xa_field *f = NULL;
    size_t nf = 0, k = 0;
    char **v = NULL;
    int rc = xa_store_fields(st, scope, NULL, 0, &f, &nf);

    for (size_t i = 0; rc == 0 && i < nf; i++) {
        /* a report is an entity with a title and no "/" */
        if (strcmp(f[i].field, "title") != 0 || strchr(f[i].entity, '/'))
            continue;
        char **nv = realloc(v, (k + 1) * sizeof(*nv));
        if (nv == NULL || (nv[k] = dup0(f[i].entity)) == NULL) {
            free(nv ? nv : v);
            v = NULL;
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        v = nv;
        k++;
    }
    xa_fields_free(f, nf);
    if (rc < 0) {
        xa_report_list_free(v, k);
        return rc;
    }
    *ids = v;
    *n = k;
    return 0;
}

void xa_report_list_free(char **ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
}

/* ---- paths ---------------------------------------------------------------- */

static int set_out(char *entity,
                   size_t ecap,
                   char *field,
                   size_t fcap,
                   const char *e,
                   const char *e2,
                   const char *f)
{
    if ((size_t)snprintf(entity, ecap, "%s%s", e, e2) >= ecap ||
        (size_t)snprintf(field, fcap, "%s", f) >= fcap)
        return xa_error_set(XA_EINVAL, "path too long");
    return 0;
}

static const xa_block *find_block(const xa_report *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->b[i].id, id) == 0)
            return &r->b[i];
    return NULL;
}

/* A heading's number without its trailing dot, for matching "2.1" to "2.1.". */
static int num_matches(const char *num, const char *want)
{
    size_t a = strlen(num), b = strlen(want);

    while (a && num[a - 1] == '.')
        a--;
    while (b && want[b - 1] == '.')
        b--;
    return a == b && a > 0 && strncmp(num, want, a) == 0;
}

int xa_report_path(
    const xa_report *r, const char *path, char *entity, size_t ecap, char *field, size_t fcap)
{
    static const struct {
        const char *name, *field;
    } header[] = {
        {"so", "number"},
        {"number", "number"},
        {"place", "place"},
        {"date", "date"},
        {"title", "title"},
        {"doctype", "doctype"},
        {"body", "body"},
        {"signer", "signer_name"},
        {"signer_name", "signer_name"},
        {"signer_role", "signer_role"},
        {"recipients", "recipients"},
        {"period", "period"},
        {"kind", "kind"},
    };
    static const char *const cols[] = {"name", "unit", "prev",    "plan",    "est",
                                       "note", "tt",   "vs_prev", "vs_plan", "remain"};
    char pre[XA_ENTITY_MAX + 8];

    snprintf(pre, sizeof(pre), "%s/b/", r->id);
    if (strncmp(path, "header/", 7) == 0) {
        for (size_t i = 0; i < sizeof(header) / sizeof(header[0]); i++)
            if (strcmp(path + 7, header[i].name) == 0)
                return set_out(entity, ecap, field, fcap, r->id, "", header[i].field);
        return xa_error_set(XA_ENOTFOUND,
                            "no header field '%s' (so, place, date, title, doctype, body,"
                            " signer, signer_role, recipients)",
                            path + 7);
    }
    if (strncmp(path, "ind/", 4) == 0) {
        char tt[32];
        const char *slash = strchr(path + 4, '/');
        size_t n = slash ? (size_t)(slash - path - 4) : strlen(path + 4);
        if (n == 0 || n >= sizeof(tt))
            return xa_error_set(XA_ENOTFOUND,
                                "'%s' names no row: write ind/ROW or ind/ROW/COLUMN (ind/4/est)",
                                path);
        memcpy(tt, path + 4, n);
        tt[n] = '\0';
        if (slash == NULL) {
            /* the row itself (to delete it, or add after it) */
            for (size_t i = 0; i < r->n; i++)
                if (!r->b[i].deleted && strcmp(r->b[i].kind, "row") == 0 &&
                    strcmp(r->b[i].tt, tt) == 0)
                    return set_out(entity, ecap, field, fcap, pre, r->b[i].id, "name");
            return xa_error_set(XA_ENOTFOUND, "the table has no row %s", tt);
        }
        for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
            if (strcmp(slash + 1, cols[c]) != 0)
                continue;
            for (size_t i = 0; i < r->n; i++)
                if (!r->b[i].deleted && strcmp(r->b[i].kind, "row") == 0 &&
                    strcmp(r->b[i].tt, tt) == 0)
                    return set_out(entity, ecap, field, fcap, pre, r->b[i].id, cols[c]);
            return xa_error_set(XA_ENOTFOUND, "the table has no row %s", tt);
        }
        return xa_error_set(XA_ENOTFOUND, "no column '%s': name, unit, prev, plan, est or note",
                            slash + 1);
    }
    if (strncmp(path, "b/", 2) == 0) {
        char id[64];
        const char *slash = strchr(path + 2, '/');
        size_t n = slash ? (size_t)(slash - path - 2) : strlen(path + 2);
        if (n == 0 || n >= sizeof(id))
            return xa_error_set(XA_ENOTFOUND, "'%s' names no block", path);
        memcpy(id, path + 2, n);
        id[n] = '\0';
        const xa_block *b = find_block(r, id);
        if (b == NULL)
            return xa_error_set(XA_ENOTFOUND, "no block %s in report %s", id, r->id);
        return set_out(entity, ecap, field, fcap, pre, id, slash ? slash + 1 : "text");
    }
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (!b->deleted && (strcmp(b->kind, "heading") == 0 || strcmp(b->kind, "part") == 0) &&
            num_matches(b->num, path))
            return set_out(entity, ecap, field, fcap, pre, b->id,
                           strcmp(b->kind, "part") == 0 && b->text[0] == '\0' ? "num" : "text");
    }
    return xa_error_set(XA_ENOTFOUND,
                        "'%s' names nothing in report %s (try header/so, ind/4/est, 2.1 or"
                        " b/ID; `xasync report outline` lists them)",
                        path, r->id);
}

/* ---- edits ------------------------------------------------------------------ */

static int put(xa_store *st,
               const char *scope,
               const char *entity,
               const char *field,
               const char *text,
               const char *author)
{
    char *j = xa_rvalue_encode(text);
    int rc;

    if (j == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_store_set(st, scope, entity, field, j, author, 0, NULL);
    free(j);
    return rc;
}

/* ---- figures checked at the door ----------------------------------------- */

#define YEAR_END_TEXT "Đánh giá vào cuối năm"

static int is_figure_field(const char *f)
{
    static const char *const figs[] = {"prev", "plan", "est", "vs_prev", "vs_plan", "remain"};

    for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++)
        if (strcmp(f, figs[i]) == 0)
            return 1;
    return 0;
}

/* Text, not a malformed number: a letter or a '/' in it ("Đạt", "6/6",
 * "Duy trì 100%"). */
static int wordy(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (p[0] == 0xc2 && p[1] == 0xa0) { /* a no-break space is no letter */
            p++;
            continue;
        }
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p >= 0x80 || *p == '/')
            return 1;
    }
    return 0;
}

int xa_report_cell_value(const xa_report *r,
                         const char *entity,
                         const char *field,
                         const char *path,
                         const char *value,
                         char **out)
{
    char pre[XA_ENTITY_MAX + 8], norm[XA_VNUM_FMT_MAX], own[XA_ENTITY_MAX + 80];
    const xa_block *b = NULL;
    size_t pl = (size_t)snprintf(pre, sizeof(pre), "%s/b/", r->id);

    *out = NULL;
    if (strncmp(entity, pre, pl) == 0)
        b = find_block(r, entity + pl);
    if (b == NULL || strcmp(b->kind, "row") != 0) {
        *out = dup0(value);
        return *out ? 0 : xa_error_set(XA_ENOMEM, "out of memory");
    }
    if (path == NULL) {
        /* the cell as the clerk knows it */
        snprintf(own, sizeof(own), "ind/%s/%s", b->tt[0] ? b->tt : b->id, field);
        path = own;
    }
    /* every cell of the table: one line, no tab (the text form's columns) */
    for (const char *p = value; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            return xa_error_set(XA_EINVAL,
                                "ô %s: không được xuống dòng hay dùng phím Tab trong một ô / cell "
                                "%s: a table cell holds no line break and no tab",
                                path, path);
    if (!is_figure_field(field) || value[0] == '\0') {
        *out = dup0(value);
        return *out ? 0 : xa_error_set(XA_ENOMEM, "out of memory");
    }
    int pct = strcmp(b->unit, "%") == 0 || strncmp(field, "vs_", 3) == 0;
    if (xa_vnum_input(value, pct, norm, sizeof(norm)) == 0) {
        *out = dup0(norm);
        return *out ? 0 : xa_error_set(XA_ENOMEM, "out of memory");
    }
    if (wordy(value)) {
        /* text only where the row is a text row: another of its figures is
         * text ("Đạt", "6/6", "Duy trì 100%"), or, for a row evaluated at
         * year end, the words saying so */
        const char *cells[3] = {b->prev, b->plan, b->est};
        const char *names[3] = {"prev", "plan", "est"};
        xa_vnum v;
        int text_row = 0;
        for (int k = 0; k < 3; k++)
            if (strcmp(names[k], field) != 0 && cells[k][0] && xa_vnum_parse(cells[k], &v) < 0)
                text_row = 1;
        if (text_row || (strcmp(value, YEAR_END_TEXT) == 0 && strstr(b->note, YEAR_END_TEXT))) {
            *out = dup0(value);
            return *out ? 0 : xa_error_set(XA_ENOMEM, "out of memory");
        }
        return xa_error_set(XA_EINVAL,
                            "ô %s: \"%s\" không phải là số, và dòng %s (%s) là dòng số liệu: %s%s"
                            " / cell %s: \"%s\" is not a number, and row %s (%s) holds figures: "
                            "Vietnamese figures 1.460 · 636,4 · 1.234.567,89 · 0,5 · -3%s",
                            path, value, b->tt, b->name,
                            "số viết kiểu Việt Nam 1.460 · 636,4 · "
                            "1.234.567,89 · 0,5 · -3",
                            pct ? " · 96,1%" : "", path, value, b->tt, b->name,
                            pct ? " · 96,1%" : "");
    }
    {
        /* the number's message is "vi / en": name the cell in both */
        char msg[1024];
        const char *sep;
        snprintf(msg, sizeof(msg), "%s", xa_error_last());
        sep = strstr(msg, " / ");
        if (sep == NULL)
            return xa_error_set(XA_EINVAL, "ô %s: %s / cell %s: %s", path, msg, path, msg);
        return xa_error_set(XA_EINVAL, "ô %s: %.*s / cell %s: %s", path, (int)(sep - msg), msg,
                            path, sep + 3);
    }
}

int xa_report_edit(xa_store *st,
                   const char *scope,
                   const char *id,
                   const char *path,
                   const char *value,
                   const char *author)
{
    xa_report r;
    char entity[XA_ENTITY_MAX + 1], field[XA_FIELD_MAX + 1], *norm = NULL;
    int rc = xa_report_load(st, scope, id, &r);

    if (rc < 0)
        return rc;
    rc = xa_report_path(&r, path, entity, sizeof(entity), field, sizeof(field));
    if (rc == 0)
        rc = xa_check_value(value, strlen(value));
    if (rc == 0)
        rc = xa_report_cell_value(&r, entity, field, path, value, &norm);
    if (rc == 0)
        rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(st, scope, entity, field, norm, author);
    free(norm);
    /* a row's name or unit changed: its binding to the form follows */
    if (rc == 0 && strcmp(entity, id) != 0 &&
        (strcmp(field, "name") == 0 || strcmp(field, "unit") == 0))
        rc = xa_report_rebind(st, scope, id, author);
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0)
        xa_store_rollback(st);
    xa_report_free(&r);
    return rc;
}

int xa_report_add(xa_store *st,
                  const char *scope,
                  const char *id,
                  const char *after,
                  const char *kind,
                  const char *text,
                  const char *author,
                  char *new_id)
{
    xa_report r;
    char entity[XA_ENTITY_MAX + 1], field[XA_FIELD_MAX + 1], pos[64], bid[24];
    const char *lo = "", *hi = "";
    const xa_block *ab = NULL;
    unsigned char rnd[5];
    int rc;

    if (strcmp(kind, "para") != 0 && strcmp(kind, "bullet") != 0 && strcmp(kind, "heading") != 0 &&
        strcmp(kind, "row") != 0)
        return xa_error_set(XA_EINVAL, "cannot add a '%s': para, bullet, heading or row", kind);
    rc = xa_report_load(st, scope, id, &r);
    if (rc < 0)
        return rc;
    if (after) {
        rc = xa_report_path(&r, after, entity, sizeof(entity), field, sizeof(field));
        if (rc == 0)
            ab = find_block(&r, entity + strlen(id) + 3);
        if (rc == 0 && ab == NULL)
            rc = xa_error_set(XA_ENOTFOUND, "'%s' is not a block to add after", after);
    } else if (r.n) {
        ab = &r.b[r.n - 1];
    }
    if (rc == 0 && ab) {
        lo = ab->pos;
        for (size_t i = 0; i + 1 < r.n; i++)
            if (&r.b[i] == ab)
                hi = r.b[i + 1].pos;
    }
    if (rc == 0)
        rc = xa_pos_between(lo, hi, pos, sizeof(pos));
    if (rc == 0 && getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rc = xa_error_set(XA_EIO, "cannot read random bytes");
    if (rc == 0) {
        snprintf(bid, sizeof(bid), "%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4]);
        snprintf(entity, sizeof(entity), "%s/b/%s", id, bid);
        rc = xa_store_begin(st);
    }
    if (rc == 0)
        rc = put(st, scope, entity, "kind", kind, author);
    if (rc == 0)
        rc = put(st, scope, entity, "pos", pos, author);
    if (rc == 0)
        rc = put(st, scope, entity, strcmp(kind, "row") == 0 ? "name" : "text", text, author);
    if (rc == 0 && strcmp(kind, "bullet") == 0)
        rc = put(st, scope, entity, "marker", "-", author);
    if (rc == 0 && strcmp(kind, "row") == 0 && ab && ab->table[0])
        rc = put(st, scope, entity, "table", ab->table, author);
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0)
        xa_store_rollback(st);
    if (rc == 0 && new_id)
        snprintf(new_id, XA_ENTITY_MAX + 1, "b/%s", bid);
    xa_report_free(&r);
    return rc;
}

int xa_report_delete(
    xa_store *st, const char *scope, const char *id, const char *path, const char *author)
{
    xa_report r;
    char entity[XA_ENTITY_MAX + 1], field[XA_FIELD_MAX + 1];
    int rc = xa_report_load(st, scope, id, &r);

    if (rc < 0)
        return rc;
    rc = xa_report_path(&r, path, entity, sizeof(entity), field, sizeof(field));
    if (rc == 0 && strcmp(entity, id) == 0)
        rc = xa_error_set(XA_EINVAL, "a header field cannot be deleted; edit it instead");
    if (rc == 0)
        rc = put(st, scope, entity, "deleted", "1", author);
    xa_report_free(&r);
    return rc;
}
