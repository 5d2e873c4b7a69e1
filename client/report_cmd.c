/*
 * `xasync report …`: the commune report as a clerk knows it (report.h).
 *
 *   report import FILE [--id ID] [--kind K] [--period P]   the text form (or a .docx,
 *                                     read into it by docx_read.h) into fields
 *   report list                       the reports held
 *   report outline [--json]           parts and headings, with their paths
 *   report edit PATH VALUE            header/so, ind/4/est, 2.1, b/ID[/FIELD]
 *   report add KIND TEXT [--after PATH]   a para, bullet, heading or row
 *   report delete PATH
 *   report check [--json]             findings in Vietnamese and English; exit 1 if any
 *   report export [--format text|html|json|docx] [-o FILE]
 * --report ID picks the report when the database holds several.
 */
#include "cli.h"
#include "report_life.h"
#include "xasync/error.h"
#include "xasync/report.h"
#ifndef XA_FRONT
#include "xasync/docx_read.h"
#endif

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE (16 * 1024 * 1024)
#define MAX_WORD_FILE (128 * 1024 * 1024) /* a .docx with its pictures */

/* The report the command is about: --report, else the only one. */
static int pick(const xa_cli *cli, xa_store *st, char *id, size_t cap)
{
    char **ids = NULL;
    size_t n = 0;
    int rc;

    if (cli->report) {
        snprintf(id, cap, "%s", cli->report);
        return 0;
    }
    rc = xa_report_list(st, xa_store_scope(st), &ids, &n);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    if (n == 1)
        snprintf(id, cap, "%s", ids[0]);
    xa_report_list_free(ids, n);
    if (n == 0)
        return xa_cli_fail(XA_EXIT_ERR,
                           "no report yet; bring one in with `xasync report import FILE`");
    if (n > 1)
        return xa_cli_fail(XA_EXIT_USAGE, "several reports are held: name one with --report ID"
                                          " (`xasync report list`)");
    return 0;
}

/* A zip or an OLE compound file: a Word file (.docx; .doc, an encrypted
 * .docx, an .odt to be refused), read in xasync-full (docx_read.h). */
static int word_file(const char *path)
{
    unsigned char m[8];
    size_t n;
    FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "rb");

    if (f == NULL)
        return 0;
    n = fread(m, 1, sizeof(m), f);
    fclose(f);
    return (n >= 4 && (memcmp(m, "PK\x03\x04", 4) == 0 || memcmp(m, "PK\x05\x06", 4) == 0)) ||
           (n == 8 && memcmp(m, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0);
}

static int do_import(xa_cli *cli, xa_store *st)
{
    xa_import_result res;
    char *text;
    size_t len = 0;
    const char *id = cli->id ? cli->id : "report-2024-h1";
    int rc, have_form = 0;
    xa_form form;
    char period[32];
#ifndef XA_FRONT
    xa_docx_text doc = {0};
    int word = 0;
#endif

    if (cli->npos != 2)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report import FILE [--id ID]");
    text = xa_cli_read_file(cli->pos[1], word_file(cli->pos[1]) ? MAX_WORD_FILE : MAX_FILE, &len);
    if (text == NULL)
        return xa_cli_fail(XA_EXIT_ERR, "%s", xa_error_last());
#ifdef XA_FRONT
    if ((len >= 4 && memcmp(text, "PK\x03\x04", 4) == 0) ||
        (len >= 8 && memcmp(text, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)) {
        /* a Word file on standard input: xasync-full reads it by its name */
        free(text);
        return xa_cli_fail(XA_EXIT_ERR,
                           "a Word file is read by its name, not from standard input: xasync"
                           " report import FILE.docx / tệp Word phải được đưa bằng tên tệp");
    }
#else
    if (xa_docx_magic(text, len)) {
        /* a Word file: its text form, which the importer places */
        rc = xa_docx_read(text, len, &doc);
        free(text);
        if (rc < 0)
            return xa_cli_fail(XA_EXIT_ERR, "%s: %s", cli->pos[1], xa_error_last());
        text = doc.text;
        len = doc.len;
        word = 1;
    }
#endif
    if ((rc = xa_life_import_prepare(cli, st, text, period, sizeof(period), &form, &have_form))) {
#ifndef XA_FRONT
        if (word) {
            xa_docx_text_free(&doc);
            return rc;
        }
#endif
        free(text);
        return rc;
    }
#ifndef XA_FRONT
    if (word) {
        rc = xa_report_import_docx(st, xa_store_scope(st), id, have_form ? form.kind : cli->kind,
                                   have_form ? period : cli->period, &doc, xa_cli_author(cli),
                                   cli->force ? XA_IMPORT_FORCE : 0, &res);
        for (size_t i = 0; rc == 0 && i < doc.nwarn; i++)
            fprintf(stderr, "xasync: warning: %s\n", doc.warn[i]);
        xa_docx_text_free(&doc);
    } else
#endif
    {
        rc = xa_report_import_flags(st, xa_store_scope(st), id, have_form ? form.kind : cli->kind,
                                    have_form ? period : cli->period, text, len, xa_cli_author(cli),
                                    cli->force ? XA_IMPORT_FORCE : 0, &res);
        free(text);
    }
    if (rc < 0 && have_form)
        xa_form_free(&form);
    if (rc < 0)
        return xa_cli_fail(XA_EXIT_ERR, "%s: %s", cli->pos[1], xa_error_last());
    printf("imported report %s: %zu headings, %zu paragraphs, %zu bullets, %zu tables, %zu rows,"
           " %zu cells\n",
           id, res.headings, res.paras, res.bullets, res.tables, res.rows, res.cells);
    for (size_t i = 0; i < res.nwarn; i++)
        fprintf(stderr, "xasync: warning: %s\n", res.warn[i]);
    xa_import_result_free(&res);
    return xa_life_import_bind(cli, st, id, &form, have_form);
}

static int do_outline(xa_cli *cli, const xa_report *r)
{
    cJSON *a = cli->json ? cJSON_CreateArray() : NULL;

    if (!cli->json)
        printf("%s\t%s\n", r->id, r->title);
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted || (strcmp(b->kind, "part") != 0 && strcmp(b->kind, "heading") != 0 &&
                           strcmp(b->kind, "table") != 0))
            continue;
        if (a) {
            cJSON *o = cJSON_CreateObject();
            char path[XA_ENTITY_MAX + 4];
            snprintf(path, sizeof(path), "b/%s", b->id);
            cJSON_AddStringToObject(o, "path", path);
            cJSON_AddStringToObject(o, "kind", b->kind);
            cJSON_AddStringToObject(o, "num", b->num);
            cJSON_AddStringToObject(o, "text", strcmp(b->kind, "table") == 0 ? "" : b->text);
            cJSON_AddBoolToObject(o, "conflict", b->conflict);
            cJSON_AddItemToArray(a, o);
            continue;
        }
        if (strcmp(b->kind, "table") == 0) {
            printf("  b/%s\t[bảng chỉ tiêu / indicator table: ind/TT/COLUMN]\n", b->id);
            continue;
        }
        int depth = strcmp(b->kind, "part") == 0 ? 0 : 1;
        for (const char *p = b->num; *p; p++)
            depth += *p == '.' && p[1] && p[1] != ' ';
        /* at most 70 bytes of the text, cut between characters */
        int cut = (int)strlen(b->text);
        if (cut > 70) {
            cut = 70;
            while (cut > 0 && ((unsigned char)b->text[cut] & 0xc0) == 0x80)
                cut--;
        }
        printf("  b/%s\t%*s%s%s%.*s%s%s\n", b->id, depth * 2, "", b->num,
               b->num[0] && b->text[0] ? " " : "", cut, b->text,
               cut < (int)strlen(b->text) ? "…" : "", b->conflict ? "  [xung đột / conflict]" : "");
    }
    if (a) {
        char *s = cJSON_Print(a);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(a);
    }
    return XA_EXIT_OK;
}

static int do_check(xa_cli *cli, xa_store *st, const xa_report *r)
{
    xa_finding *f = NULL;
    size_t n = 0;
    int rc = xa_report_check(r, &f, &n);
    xa_form form;

    /* rows not bound to the form, or bound by position only (form.h) */
    if (rc == 0 && xa_report_form(st, xa_store_scope(st), r->id, &form) == 0) {
        rc = xa_bind_findings(r, &form, &f, &n);
        xa_form_free(&form);
    }

    if (rc < 0)
        return xa_cli_fail_xa(rc);
    if (cli->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            char fid[XA_ENTITY_MAX + 48];
            snprintf(fid, sizeof(fid), "%s@%s", f[i].code[0] ? f[i].code : "check", f[i].where);
            cJSON_AddStringToObject(o, "id", fid);
            cJSON_AddStringToObject(o, "code", f[i].code[0] ? f[i].code : "check");
            cJSON_AddStringToObject(o, "severity", f[i].severity[0] ? f[i].severity : "warning");
            cJSON_AddStringToObject(o, "where", f[i].where);
            cJSON_AddStringToObject(o, "vi", f[i].vi);
            cJSON_AddStringToObject(o, "en", f[i].en);
            if (f[i].excerpt)
                cJSON_AddStringToObject(o, "excerpt", f[i].excerpt);
            if (f[i].fix_path && f[i].fix_value) {
                cJSON *x = cJSON_AddObjectToObject(o, "fix");
                cJSON_AddStringToObject(x, "path", f[i].fix_path);
                cJSON_AddStringToObject(x, "value", f[i].fix_value);
            }
            cJSON_AddItemToArray(a, o);
        }
        char *s = cJSON_Print(a);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(a);
    } else if (n == 0) {
        puts("Không phát hiện sai sót. / Nothing to flag.");
    } else {
        printf("Phát hiện %zu điểm cần xem lại / %zu findings:\n", n, n);
        for (size_t i = 0; i < n; i++) {
            printf("%zu. %s\t[%s] %s\n\t%s\n", i + 1, f[i].where,
                   f[i].code[0] ? f[i].code : "check", f[i].vi, f[i].en);
            if (f[i].fix_path && f[i].fix_value)
                printf("\tsửa / fix: xasync report fix %zu  (%s := \"%.80s%s\")\n", i + 1,
                       f[i].fix_path, f[i].fix_value, strlen(f[i].fix_value) > 80 ? "…" : "");
        }
    }
    xa_findings_free(f, n);
    return n ? XA_EXIT_ERR : XA_EXIT_OK;
}

/* export: text, html, json or docx, to standard output or -o FILE (written
 * whole or not at all).  A .docx is not written to a terminal. */
static int do_export(const xa_cli *cli, const xa_report *r)
{
    const char *fmt = cli->format ? cli->format : "text";
    int f = strcmp(fmt, "text") == 0   ? XA_REPORT_TEXT
            : strcmp(fmt, "html") == 0 ? XA_REPORT_HTML
            : strcmp(fmt, "json") == 0 ? XA_REPORT_JSON
            : strcmp(fmt, "docx") == 0 ? XA_REPORT_DOCX
                                       : 0;
    unsigned char *bin = NULL;
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (f == 0)
        return xa_cli_fail(XA_EXIT_USAGE, "--format wants text, html, json or docx");
    if (f == XA_REPORT_DOCX && cli->output == NULL && isatty(STDOUT_FILENO))
        return xa_cli_fail(XA_EXIT_USAGE, "--format docx writes a Word file: name it with -o FILE"
                                          " / hãy đặt tên tệp bằng -o TỆP");
    if (f == XA_REPORT_DOCX) {
#ifdef XA_FRONT
        return xa_cli_exec_full((xa_cli *)cli); /* .docx is in xasync-full (cli.h) */
#else
        rc = xa_report_docx(r, &bin, &len);
#endif
    } else {
        rc = xa_report_render(r, f, &out);
        if (rc == 0) {
            bin = (unsigned char *)out;
            len = strlen(out);
        }
    }
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    if (cli->output)
        rc = xa_write_file(cli->output, bin, len);
    else if (fwrite(bin, 1, len, stdout) != len)
        rc = xa_error_set(XA_EIO, "cannot write to standard output: %s", strerror(errno));
    free(bin);
    return rc < 0 ? xa_cli_fail_xa(rc) : XA_EXIT_OK;
}

/* `report fix FINDING`: the finding's computed fix, applied as an ordinary
 * edit (through the journal, with history).  FINDING is its number in
 * `report check` or its id CODE@WHERE (`table.ratio@ind/5/vs_plan`). */
static int do_fix(xa_cli *cli, xa_store *st, const char *id)
{
    xa_report r;
    xa_finding *f = NULL, *hit = NULL;
    size_t n = 0;
    char *end = NULL;
    const char *want;
    int rc;

    if (cli->npos != 2)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report fix N|CODE@WHERE"
                                          " (see `xasync report check`)");
    want = cli->pos[1];
    rc = xa_report_load(st, xa_store_scope(st), id, &r);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    rc = xa_report_check(&r, &f, &n);
    xa_report_free(&r);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    unsigned long k = strtoul(want, &end, 10);
    if (want[0] >= '1' && want[0] <= '9' && *end == '\0') {
        if (k <= n)
            hit = &f[k - 1];
    } else {
        for (size_t i = 0; i < n && hit == NULL; i++) {
            size_t cl = strlen(f[i].code);
            if (cl && strncmp(want, f[i].code, cl) == 0 && want[cl] == '@' &&
                strcmp(want + cl + 1, f[i].where) == 0)
                hit = &f[i];
        }
    }
    if (hit == NULL) {
        xa_findings_free(f, n);
        return xa_cli_fail(XA_EXIT_ERR,
                           "no finding %s in report %s (%zu findings; `xasync report check` lists"
                           " them) / không có điểm cần xem lại %s",
                           want, id, n, want);
    }
    if (hit->fix_path == NULL || hit->fix_value == NULL) {
        rc = xa_cli_fail(XA_EXIT_ERR,
                         "finding %s@%s has no computed fix: edit it by hand / điểm này không có "
                         "cách sửa tự động",
                         hit->code, hit->where);
        xa_findings_free(f, n);
        return rc;
    }
    rc = xa_report_edit(st, xa_store_scope(st), id, hit->fix_path, hit->fix_value,
                        xa_cli_author(cli));
    if (rc == 0)
        printf("%s := %s\n", hit->fix_path, hit->fix_value);
    xa_findings_free(f, n);
    return rc < 0 ? xa_cli_fail_xa(rc) : XA_EXIT_OK;
}

int xa_cmd_report(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_report r;
    char id[XA_ENTITY_MAX + 1], newid[XA_ENTITY_MAX + 1];
    const char *sub = cli->npos ? cli->pos[0] : "";
    int rc, code = XA_EXIT_OK;

    static const char *const subs[] = {"import", "list",  "outline", "edit", "add",
                                       "delete", "check", "export",  "new",  "bind",
                                       "submit", "state", "fix",     "copy"};
    size_t k;
    for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
        if (strcmp(sub, subs[k]) == 0)
            break;
    if (k == sizeof(subs) / sizeof(subs[0]))
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync report import|list|outline|edit|add|delete|check|export"
                           " (see `xasync report --help`)");
#ifdef XA_FRONT
    if (strcmp(sub, "import") == 0 && cli->npos == 2 && word_file(cli->pos[1]))
        return xa_cli_exec_full(cli); /* Word files are read in xasync-full (cli.h) */
#endif
    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    if (strcmp(sub, "import") == 0) {
        code = do_import(cli, st);
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "new") == 0) {
        code = xa_life_new(cli, st);
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "submit") == 0 && cli->npos == 2 && cli->report == NULL)
        cli->report = cli->pos[1];
    if (strcmp(sub, "list") == 0) {
        char **ids = NULL;
        size_t n = 0;
        rc = xa_report_list(st, xa_store_scope(st), &ids, &n);
        xa_store_close(st);
        if (rc < 0)
            return xa_cli_fail_xa(rc);
        for (size_t i = 0; i < n; i++)
            puts(ids[i]);
        xa_report_list_free(ids, n);
        return XA_EXIT_OK;
    }
    if ((code = pick(cli, st, id, sizeof(id))) != 0) {
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "bind") == 0 || strcmp(sub, "submit") == 0 || strcmp(sub, "state") == 0) {
        code = strcmp(sub, "bind") == 0     ? xa_life_bind(cli, st, id)
               : strcmp(sub, "submit") == 0 ? xa_life_submit(cli, st, id)
                                            : xa_life_state(cli, st, id);
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "copy") == 0) {
        code = xa_life_copy(cli, st, id);
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "fix") == 0) {
        code = do_fix(cli, st, id);
        xa_store_close(st);
        return code;
    }
    if (strcmp(sub, "edit") == 0) {
        if (cli->npos != 3) {
            xa_store_close(st);
            return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report edit PATH VALUE");
        }
        rc = xa_report_edit(st, xa_store_scope(st), id, cli->pos[1], cli->pos[2],
                            xa_cli_author(cli));
        xa_store_close(st);
        return rc < 0 ? xa_cli_fail_xa(rc) : XA_EXIT_OK;
    }
    if (strcmp(sub, "add") == 0) {
        if (cli->npos != 3) {
            xa_store_close(st);
            return xa_cli_fail(XA_EXIT_USAGE,
                               "usage: xasync report add para|bullet|heading|row TEXT"
                               " [--after PATH]");
        }
        rc = xa_report_add(st, xa_store_scope(st), id, cli->after, cli->pos[1], cli->pos[2],
                           xa_cli_author(cli), newid);
        xa_store_close(st);
        if (rc < 0)
            return xa_cli_fail_xa(rc);
        puts(newid);
        return XA_EXIT_OK;
    }
    if (strcmp(sub, "delete") == 0) {
        if (cli->npos != 2) {
            xa_store_close(st);
            return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync report delete PATH");
        }
        rc = xa_report_delete(st, xa_store_scope(st), id, cli->pos[1], xa_cli_author(cli));
        xa_store_close(st);
        return rc < 0 ? xa_cli_fail_xa(rc) : XA_EXIT_OK;
    }
    rc = xa_report_load(st, xa_store_scope(st), id, &r);
    if (rc == 0 && strcmp(sub, "check") == 0)
        code = do_check(cli, st, &r);
    xa_store_close(st);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    if (strcmp(sub, "outline") == 0) {
        code = do_outline(cli, &r);
    } else if (strcmp(sub, "check") == 0) {
        /* done above, with the store open */
    } else {
        code = do_export(cli, &r);
    }
    xa_report_free(&r);
    return code;
}
