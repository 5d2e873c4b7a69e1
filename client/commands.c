/*
 * The commands of `xasync`.  Each opens the database, does one thing through
 * the store's API, prints text for a person or JSON for a program, and
 * returns an exit code (cli.h).  Errors print one line and change nothing.
 *
 * Values are JSON in the store; what a clerk types is a string, encoded
 * here with cJSON so every value text is cJSON's canonical form.
 */
#include "cli.h"
#include "xasync/codec.h"
#include "xasync/daemon.h"
#include "xasync/error.h"
#include "xasync/sync.h"
#include "xasync/syncstate.h"
#include "xasync/view.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- output helpers -------------------------------------------------- */

static void time_local(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)ms);
}

/* Print a value on one line: newlines and tabs shown as \n and \t. */
static void put_oneline(const char *json)
{
    char *t = xa_view_oneline(json);

    fputs(t ? t : "", stdout);
    free(t);
}

/* Print a malloc'd JSON text and free it. */
static int put_text(char *s)
{
    if (s == NULL)
        return xa_cli_fail(XA_EXIT_ERR, "out of memory");
    puts(s);
    free(s);
    return XA_EXIT_OK;
}

/* Print and free a JSON document; 0 or an exit code. */
static int put_json(cJSON *doc)
{
    char *s = doc ? cJSON_Print(doc) : NULL;

    cJSON_Delete(doc);
    if (s == NULL)
        return xa_cli_fail(XA_EXIT_ERR, "out of memory");
    puts(s);
    free(s);
    return XA_EXIT_OK;
}

static void put_value_line(const xa_value *v)
{
    char node[XA_NODE_HEX + 1], t[48];

    xa_node_format(v->dot.node, node);
    time_local(v->hlc, t, sizeof(t));
    put_oneline(v->value);
    printf("\t%s\t%s\t%s\n", v->author, t, node);
}

/* Finish: flush stdout and report a write error (a full disk, a closed
 * pipe) rather than exit 0 with output lost. */
static int finish(xa_store *st, int code)
{
    xa_store_close(st);
    if (fflush(stdout) != 0 || ferror(stdout))
        return xa_cli_fail(XA_EXIT_ERR, "cannot write the output: %s", strerror(errno));
    return code;
}

/* Encode a typed value as a JSON string.  NULL with the error set. */
static char *string_json(const char *text)
{
    cJSON *s;
    char *out;
    size_t n = strlen(text);

    if (n > XA_VALUE_MAX) {
        xa_error_set(XA_ETOOBIG, "value too large: %zu bytes, limit %d bytes", n, XA_VALUE_MAX);
        return NULL;
    }
    if (!xa_utf8_valid(text, n)) {
        xa_error_set(XA_EINVAL, "the value is not valid UTF-8 (save the text as UTF-8)");
        return NULL;
    }
    s = cJSON_CreateString(text);
    out = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    if (out == NULL)
        xa_error_set(XA_ENOMEM, "out of memory");
    return out;
}

/* Read a whole file ("-" is standard input), at most `max` bytes. */
char *xa_cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        xa_error_set(XA_EINVAL, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            char *b = realloc(buf, cap + 1);
            if (b == NULL) {
                xa_error_set(XA_ENOMEM, "out of memory reading %s", path);
                goto fail;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            xa_error_set(XA_ETOOBIG, "%s is too large (limit %zu bytes)", path, max);
            goto fail;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        xa_error_set(XA_EIO, "cannot read %s", path);
        goto fail;
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    if (f != stdin)
        fclose(f);
    free(buf);
    return NULL;
}

/* mkdir -p of the folder that will hold `path`. */
static int make_parent(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);
    char *slash;

    if (n >= sizeof(dir))
        return xa_error_set(XA_EINVAL, "the path %s is too long", path);
    memcpy(dir, path, n + 1);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return xa_error_set(XA_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return xa_error_set(XA_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
    return 0;
}

/* ---- commands -------------------------------------------------------- */

static int cmd_init(xa_cli *cli)
{
    xa_store *st = NULL;
    char node[XA_NODE_HEX + 1];
    struct stat sb;
    int rc;

    if (cli->scope == NULL)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync init --scope SCOPE");
    if ((rc = xa_check_scope(cli->scope)) < 0)
        return xa_cli_fail_xa(rc);
    if (stat(cli->db, &sb) == 0)
        return xa_cli_fail(XA_EXIT_ERR, "a database already exists at %s; not overwriting it",
                           cli->db);
    if ((rc = make_parent(cli->db)) < 0 || (rc = xa_store_create(&st, cli->db, cli->scope)) < 0)
        return xa_cli_fail_xa(rc);
    xa_node_format(xa_store_node(st), node);
    printf("created %s for scope %s (node %s)\n", cli->db, cli->scope, node);
    return finish(st, XA_EXIT_OK);
}

static int write_value(xa_cli *cli, int resolve)
{
    xa_store *st = NULL;
    char *json;
    int rc;

    /* forms come from the district (form.h): read-only on the PC */
    if (strncmp(cli->pos[0], "form/", 5) == 0)
        return xa_cli_fail(XA_EXIT_ERR,
                           "%s là biểu mẫu của huyện, chỉ đọc trên máy xã / %s is a form the "
                           "district defines: read-only on a commune's PC",
                           cli->pos[0], cli->pos[0]);
    json = string_json(cli->pos[2]);
    if (json == NULL)
        return xa_cli_fail(XA_EXIT_ERR, "%s", xa_error_last());
    if (xa_cli_open(cli, &st) != 0) {
        free(json);
        return XA_EXIT_ERR;
    }
    rc = xa_store_set(st, xa_store_scope(st), cli->pos[0], cli->pos[1], json, xa_cli_author(cli),
                      resolve, NULL);
    free(json);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    return finish(st, XA_EXIT_OK);
}

static int cmd_set(xa_cli *cli)
{
    return write_value(cli, 0);
}

static int cmd_resolve(xa_cli *cli)
{
    return write_value(cli, 1);
}

static int cmd_get(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_field f;
    int rc, code = XA_EXIT_OK;

    memset(&f, 0, sizeof(f));
    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_store_get(st, xa_store_scope(st), cli->pos[0], cli->pos[1], &f);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    if (f.n > 1)
        code = XA_EXIT_CONFLICT;
    if (cli->json) {
        put_text(xa_view_field(&f, 1));
    } else if (f.n == 1) {
        char *t = xa_view_text(f.v[0].value);
        puts(t ? t : "");
        free(t);
    } else {
        for (size_t i = 0; i < f.n; i++)
            put_value_line(&f.v[i]);
    }
    code = finish(st, code);
    if (code == XA_EXIT_CONFLICT)
        xa_cli_fail(code, "%s %s is in conflict: %zu values; keep one with `xasync resolve`",
                    f.entity, f.field, f.n);
    xa_field_clear(&f);
    return code;
}

static int list_fields(xa_cli *cli, const char *entity, int conflicts)
{
    xa_store *st = NULL;
    xa_field *fs = NULL;
    size_t n = 0;
    int rc;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_store_fields(st, xa_store_scope(st), entity, conflicts, &fs, &n);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    if (cli->json) {
        put_text(xa_view_fields(fs, n, 1));
    } else if (conflicts) {
        if (n == 0)
            puts("no conflicts");
        for (size_t i = 0; i < n; i++) {
            printf("%s\t%s\t%zu values:\n", fs[i].entity, fs[i].field, fs[i].n);
            for (size_t k = 0; k < fs[i].n; k++) {
                fputs("  ", stdout);
                put_value_line(&fs[i].v[k]);
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%s\t%s\t", fs[i].entity, fs[i].field);
            put_oneline(fs[i].v[0].value);
            if (fs[i].n > 1)
                printf("\t[conflict: %zu values]", fs[i].n);
            putchar('\n');
        }
    }
    xa_fields_free(fs, n);
    return finish(st, XA_EXIT_OK);
}

static int cmd_show(xa_cli *cli)
{
    return list_fields(cli, cli->npos ? cli->pos[0] : NULL, 0);
}

static int cmd_conflicts(xa_cli *cli)
{
    return list_fields(cli, NULL, 1);
}

static int cmd_log(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_logent *e = NULL;
    size_t n = 0;
    cJSON *arr = NULL;
    int rc;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_store_log(st, xa_store_scope(st), cli->npos > 0 ? cli->pos[0] : NULL,
                      cli->npos > 1 ? cli->pos[1] : NULL, &e, &n);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    if (cli->json)
        arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const xa_op *op = &e[i].op;
        char node[XA_NODE_HEX + 1], t[48];

        xa_node_format(op->node, node);
        if (arr) {
            cJSON *o = cJSON_CreateObject(), *before;
            xa_view_time_iso(op->hlc, t, sizeof(t));
            cJSON_AddStringToObject(o, "time", t);
            cJSON_AddNumberToObject(o, "hlc", (double)op->hlc);
            cJSON_AddStringToObject(o, "author", op->author);
            cJSON_AddStringToObject(o, "node", node);
            cJSON_AddNumberToObject(o, "seq", (double)op->seq);
            cJSON_AddStringToObject(o, "entity", op->entity);
            cJSON_AddStringToObject(o, "field", op->field);
            before = cJSON_AddArrayToObject(o, "before");
            for (size_t k = 0; before && k < e[i].nbefore; k++) {
                cJSON *v = cJSON_Parse(e[i].before[k].value);
                cJSON_AddItemToArray(before, v ? v : cJSON_CreateNull());
            }
            cJSON *v = cJSON_Parse(op->value);
            cJSON_AddItemToObject(o, "value", v ? v : cJSON_CreateNull());
            cJSON_AddItemToArray(arr, o);
            continue;
        }
        time_local(op->hlc, t, sizeof(t));
        printf("%s\t%s\t%s\t%s\t%s\t", t, op->author, node, op->entity, op->field);
        /* A context that names earlier values none of which is held: this
         * PC started from a snapshot, and that history is on the server. */
        if (e[i].nbefore == 0)
            fputs(op->ctx.n ? "(earlier value not held here)" : "(none)", stdout);
        for (size_t k = 0; k < e[i].nbefore; k++) {
            if (k)
                fputs(" | ", stdout);
            put_oneline(e[i].before[k].value);
        }
        fputs(" -> ", stdout);
        put_oneline(op->value);
        putchar('\n');
    }
    if (arr)
        put_json(arr);
    xa_log_free(e, n);
    return finish(st, XA_EXIT_OK);
}

static int cmd_have(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_vv vv = XA_VV_INIT;
    char *s = NULL;
    int rc;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_store_have(st, xa_store_scope(st), &vv);
    if (rc == 0)
        rc = xa_codec_vv_encode(&s, &vv);
    xa_vv_free(&vv);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    puts(s);
    free(s);
    return finish(st, XA_EXIT_OK);
}

/* An export is read in pages of this many ops per node: its memory stays
 * bounded whatever the journal holds. */
#define EXPORT_PAGE 20000
/* With -o, a file holds about this much at most (apply takes up to
 * XA_CODEC_MAX_TEXT); more goes to FILE.2, FILE.3, ... in causal order. */
#define EXPORT_FILE_MAX ((size_t)96 * 1024 * 1024)

/* XASYNC_EXPORT_FILE_MAX=BYTES: smaller files (a stick with little room) */
static size_t export_file_max(void)
{
    const char *e = getenv("XASYNC_EXPORT_FILE_MAX");
    char *end = NULL;
    unsigned long long v = e ? strtoull(e, &end, 10) : 0;

    if (e == NULL || end == e || *end != '\0' || v < 4096 || v > EXPORT_FILE_MAX)
        return EXPORT_FILE_MAX;
    return (size_t)v;
}

/* Ops per page: small files need small pages. */
static size_t export_page(void)
{
    size_t p = export_file_max() / 256;
    return p < 16 ? 16 : p > EXPORT_PAGE ? EXPORT_PAGE : p;
}

static size_t op_weight(const xa_op *op)
{
    return strlen(op->entity) + strlen(op->field) + strlen(op->value) + strlen(op->author) +
           40 * (op->ctx.n + 1) + 48;
}

/* Write the ops past `from` up to `to` (per node), node by node. */
static int export_range(
    xa_store *st, const char *scope, const xa_vv *from, const xa_vv *to, xa_codec_writer *w)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < to->n; i++) {
        xa_node node = to->e[i].node;
        uint64_t at = xa_vv_get(from, node), end = to->e[i].seq;
        while (rc == 0 && at < end) {
            xa_vv only = XA_VV_INIT;
            xa_op_list l = XA_OP_LIST_INIT;
            int more = 0;
            /* everything but this node counts as held: only its run comes */
            rc = xa_store_have(st, scope, &only);
            if (rc == 0)
                rc = xa_vv_set(&only, node, at);
            if (rc == 0)
                rc = xa_store_missing(st, scope, &only, EXPORT_PAGE, &l, &more);
            for (size_t k = 0; rc == 0 && k < l.n && l.ops[k].seq <= end; k++) {
                rc = xa_codec_stream_op(w, &l.ops[k]);
                at = l.ops[k].seq;
            }
            if (rc == 0 && l.n == 0)
                rc = xa_error_set(XA_EIO, "the journal changed during the export; try again");
            xa_op_list_free(&l);
            xa_vv_free(&only);
        }
    }
    return rc;
}

/* The next file's end: from `from`, whole causal pages until the file
 * would pass EXPORT_FILE_MAX (at least one page). */
static int export_cut(xa_store *st,
                      const char *scope,
                      const xa_chains *chains,
                      const xa_vv *from,
                      xa_vv *cut,
                      int *last)
{
    /* every file carries the chains */
    size_t weight = 256 + 56 * chains->n + 64 * chains->nmv;
    int rc = xa_vv_copy(cut, from), more = 1;

    *last = 0;
    while (rc == 0 && more) {
        xa_op_list l = XA_OP_LIST_INIT;
        size_t w = 0;
        rc = xa_store_missing(st, scope, cut, export_page(), &l, &more);
        for (size_t k = 0; k < l.n; k++)
            w += op_weight(&l.ops[k]);
        if (rc == 0 && l.n && !xa_vv_equal(cut, from) && weight + w > export_file_max()) {
            xa_op_list_free(&l);
            return 0; /* this page starts the next file */
        }
        for (size_t k = 0; rc == 0 && k < l.n; k++)
            if (l.ops[k].seq > xa_vv_get(cut, l.ops[k].node))
                rc = xa_vv_set(cut, l.ops[k].node, l.ops[k].seq);
        weight += w;
        xa_op_list_free(&l);
    }
    *last = 1;
    return rc;
}

static int cmd_export(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_vv have = XA_VV_INIT, mine = XA_VV_INIT;
    xa_chains chains = {0};
    int rc = 0;

    if ((cli->have == NULL) == (cli->all == 0))
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync export-ops --have FILE_OR_JSON | --all  (one of them)");
    if (cli->have) {
        const char *h = cli->have;
        size_t len = 0;
        char *buf = NULL;

        while (*h == ' ' || *h == '\t' || *h == '\n')
            h++;
        if (*h != '{') {
            buf = xa_cli_read_file(cli->have, 1 << 20, &len);
            if (buf == NULL)
                return xa_cli_fail(XA_EXIT_ERR, "%s", xa_error_last());
            h = buf;
        } else {
            len = strlen(h);
        }
        rc = xa_codec_vv_decode(&have, h, h == buf ? len : strlen(h));
        free(buf);
        if (rc < 0)
            return xa_cli_fail(XA_EXIT_ERR, "--have: %s", xa_error_last());
    }
    if (xa_cli_open(cli, &st) != 0) {
        xa_vv_free(&have);
        return XA_EXIT_ERR;
    }
    const char *scope = xa_store_scope(st);
    /* with the chain digests, so the receiver compares contents, not counts */
    rc = xa_store_chains(st, scope, &chains);
    if (rc == 0)
        rc = xa_store_have(st, scope, &mine);
    if (rc == 0 && cli->output == NULL) {
        xa_codec_writer w;
        rc = xa_codec_stream_begin(&w, stdout, scope);
        if (rc == 0)
            rc = export_range(st, scope, &have, &mine, &w);
        if (rc == 0)
            rc = xa_codec_stream_end(&w, &chains);
        if (rc == 0 && w.bytes > XA_CODEC_MAX_TEXT)
            fprintf(stderr,
                    "xasync: this export is %zu MiB, more than `xasync apply` takes in one file"
                    " (%zu MiB): write it with -o FILE, which splits it into files apply takes"
                    " in order\n",
                    w.bytes >> 20, XA_CODEC_MAX_TEXT >> 20);
    }
    /* -o FILE: one file, or a series FILE, FILE.2, ... each under the limit
     * and each needing only those before it */
    size_t nfiles = 0;
    xa_vv from = XA_VV_INIT;
    if (rc == 0 && cli->output)
        rc = xa_vv_copy(&from, &have);
    for (int last = 0; rc == 0 && cli->output && !last;) {
        xa_vv cut = XA_VV_INIT;
        char name[4200];
        rc = export_cut(st, scope, &chains, &from, &cut, &last);
        if (rc == 0 && nfiles > 0 && xa_vv_equal(&cut, &from)) {
            xa_vv_free(&cut);
            break;
        }
        if (nfiles == 0)
            snprintf(name, sizeof name, "%s", cli->output);
        else
            snprintf(name, sizeof name, "%s.%zu", cli->output, nfiles + 1);
        FILE *f = rc == 0 ? fopen(name, "w") : NULL;
        if (rc == 0 && f == NULL)
            rc = xa_error_set(XA_EIO, "cannot write %s: %s", name, strerror(errno));
        xa_codec_writer w;
        if (rc == 0)
            rc = xa_codec_stream_begin(&w, f, scope);
        if (rc == 0)
            rc = export_range(st, scope, &from, &cut, &w);
        if (rc == 0)
            rc = xa_codec_stream_end(&w, &chains);
        if (f && fclose(f) != 0 && rc == 0)
            rc = xa_error_set(XA_EIO, "writing %s: %s", name, strerror(errno));
        if (rc == 0) {
            nfiles++;
            fprintf(stderr, "xasync: %s: %zu ops, %zu bytes\n", name, w.ops, w.bytes);
            xa_vv_free(&from);
            from = cut;
        } else {
            xa_vv_free(&cut);
        }
    }
    xa_vv_free(&from);
    if (rc == 0 && nfiles > 1)
        fprintf(stderr,
                "xasync: %zu files; apply them in this order: xasync apply %s %s.2 ... %s.%zu\n",
                nfiles, cli->output, cli->output, cli->output, nfiles);
    xa_chains_free(&chains);
    xa_vv_free(&have);
    xa_vv_free(&mine);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    return finish(st, XA_EXIT_OK);
}

/*
 * An ops file's chains against this PC's: two different ops under one dot
 * (a PC restored from a backup, or copied to another machine) are found
 * here, before anything is applied.  When the dots are this PC's own and
 * the district has not acknowledged them, this PC holds the newer
 * incarnation: its edits past the common part move to a new node id
 * (nothing is lost), and the clerk exchanges again.  Otherwise nothing is
 * applied and the message says which PC must take the other's file first.
 */
static int chains_meet(xa_store *st, const xa_chains *chains, const xa_op_list *ops)
{
    xa_meet m;
    char hex[XA_NODE_HEX + 1];
    int rc = xa_store_meet(st, xa_store_scope(st), chains, ops->ops, ops->n, &m);

    if (rc != XA_EFORGED)
        return rc;
    if (m.followed) {
        fprintf(stderr,
                "xasync: the other PC had moved edits of a PC restored from a backup or copied to"
                " a new id; this PC holds the same edits and has moved them the same way"
                " (nothing is lost)\n");
        return xa_error_set(XA_EFORGED,
                            "nothing of the file was applied: run `xasync have` here, make a new"
                            " export on the other PC with it, and apply that here");
    }
    if (m.moved_back) {
        xa_node_format(m.moved_back, hex);
        return xa_error_set(XA_EFORGED,
                            "the file holds edits of PC %s from seq %llu on that this PC has moved"
                            " to a new id (that PC was restored from a backup or copied);"
                            " nothing was applied. Exchange the other way first: apply on that"
                            " PC an export made here for its `xasync have`, or let it sync with"
                            " the district",
                            hex, (unsigned long long)m.keep + 1);
    }
    xa_node_format(m.node, hex);
    if (m.rekeyed) {
        fprintf(stderr,
                "xasync: this PC was restored from a backup or copied: the other PC holds other"
                " edits under this PC's id %s from seq %llu on; this PC's %zu edits since then"
                " now carry a new id (nothing is lost)\n",
                hex, (unsigned long long)m.keep + 1, m.moved);
        return xa_error_set(XA_EFORGED,
                            "nothing of the file was applied: run `xasync have` here, make a new"
                            " export on the other PC with it, and apply that here");
    }
    return xa_error_set(XA_EFORGED,
                        "the file holds other edits than this PC under the dots of PC %s from seq"
                        " %llu on (a PC restored from a backup or copied); nothing was applied."
                        " Exchange the other way first: apply on that PC an export made here"
                        " for its `xasync have`; it then moves its new edits to a new id",
                        hex, (unsigned long long)m.keep + 1);
}

static int cmd_apply(xa_cli *cli)
{
    xa_store *st = NULL;
    size_t applied = 0, held = 0;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    /* several files (an export split with -o): in order, each whole or not
     * at all */
    for (int i = 0; i < cli->npos; i++) {
        xa_op_list ops = XA_OP_LIST_INIT;
        xa_apply_result res = {0, 0, 0};
        xa_chains chains = {0};
        size_t len = 0;
        int rc;
        char *text = xa_cli_read_file(cli->pos[i], XA_CODEC_MAX_TEXT, &len);

        if (text == NULL)
            rc = XA_EIO;
        else
            rc = xa_codec_decode_chains(&ops, text, len, xa_store_scope(st), &chains);
        free(text);
        if (rc == 0 && (chains.n || chains.nmv))
            rc = chains_meet(st, &chains, &ops);
        if (rc == 0)
            rc = xa_store_apply(st, xa_store_scope(st), ops.ops, ops.n, &res);
        xa_chains_free(&chains);
        xa_op_list_free(&ops);
        if (rc < 0) {
            xa_store_close(st);
            if (rc == XA_EGAP)
                return xa_cli_fail(XA_EXIT_ERR,
                                   "%s: %s. Nothing of it was applied: if it is a later file of"
                                   " an export split with -o (FILE.2, FILE.3, ...), apply the"
                                   " files before it first, in order",
                                   cli->pos[i], xa_error_last());
            if (i > 0)
                return xa_cli_fail(XA_EXIT_ERR,
                                   "%s: %s (the %d file(s) before it were applied: %zu ops)",
                                   cli->pos[i], xa_error_last(), i, applied);
            return xa_cli_fail(XA_EXIT_ERR, "%s: %s", cli->pos[i], xa_error_last());
        }
        applied += res.applied;
        held += res.duplicates;
    }
    printf("applied %zu ops (%zu already held)\n", applied, held);
    return finish(st, XA_EXIT_OK);
}

static int cmd_repair(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_repair_report r;
    int rc;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_store_repair(st, xa_store_scope(st), &r);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    if (r.quarantined == 0 && r.moved == 0 && r.fields == 0)
        printf("nothing to repair\n");
    else
        printf("repaired: %zu ops of other PCs set aside (their context claimed edits not held),"
               " %zu of this PC's edits moved to a new node id, %zu fields rebuilt\n",
               r.quarantined, r.moved, r.fields);
    return finish(st, XA_EXIT_OK);
}

/* ---- the district server ---------------------------------------------- */

/* An absolute path for a file that must exist and be readable. */
static int abs_readable(const char *path, char *out, size_t cap, const char *what)
{
    char buf[PATH_MAX];
    FILE *f;

    if (realpath(path, buf) == NULL)
        return xa_error_set(XA_EINVAL, "cannot find the %s %s: %s", what, path, strerror(errno));
    f = fopen(buf, "r");
    if (f == NULL)
        return xa_error_set(XA_EINVAL, "cannot read the %s %s: %s", what, path, strerror(errno));
    fclose(f);
    if ((size_t)snprintf(out, cap, "%s", buf) >= cap)
        return xa_error_set(XA_EINVAL, "the path of the %s is too long", what);
    return 0;
}

static int cmd_remote(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_remote r;
    int rc;

    memset(&r, 0, sizeof(r));
    if (cli->npos == 0 || (strcmp(cli->pos[0], "show") == 0 && cli->npos == 1)) {
        if (xa_cli_open(cli, &st) != 0)
            return XA_EXIT_ERR;
        rc = xa_syncstate_remote_get(st, &r);
        xa_store_close(st);
        if (rc < 0)
            return xa_cli_fail_xa(rc);
        printf("%s\ttoken file %s%s%s\n", r.url, r.token_file, r.cacert[0] ? "\tCA " : "",
               r.cacert);
        return XA_EXIT_OK;
    }
    if (strcmp(cli->pos[0], "set") != 0 || cli->npos != 2 || cli->token_file == NULL)
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync remote set URL --token-file FILE [--cacert FILE]");
    if (strncmp(cli->pos[1], "http://", 7) != 0 && strncmp(cli->pos[1], "https://", 8) != 0)
        return xa_cli_fail(XA_EXIT_ERR, "the address must begin with https:// (or http://)");
    if ((size_t)snprintf(r.url, sizeof(r.url), "%s", cli->pos[1]) >= sizeof(r.url))
        return xa_cli_fail(XA_EXIT_ERR, "the address is too long");
    if ((rc = abs_readable(cli->token_file, r.token_file, sizeof(r.token_file), "token file")) <
            0 ||
        (cli->cacert &&
         (rc = abs_readable(cli->cacert, r.cacert, sizeof(r.cacert), "CA file")) < 0))
        return xa_cli_fail(XA_EXIT_ERR, "%s", xa_error_last());
    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    rc = xa_syncstate_remote_set(st, &r);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    printf("district server set: %s\n", r.url);
    return finish(st, XA_EXIT_OK);
}

/* Seconds as a decimal number (0.1 .. 1e6) into milliseconds. */
#ifndef XA_FRONT /* in xasync-full only (cli.h) */
static int seconds_opt(const char *s, const char *what, int64_t *ms)
{
    char *end;
    double v;

    if (s == NULL)
        return 0;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.1 && v <= 1e6))
        return xa_cli_fail(XA_EXIT_USAGE, "%s wants a number of seconds (0.1 to 1000000)", what);
    *ms = (int64_t)(v * 1000);
    return 0;
}

/* --request-timeout and --batch-ops, shared by sync and daemon. */
static int sync_opts(const xa_cli *cli, xa_sync_opts *o)
{
    int64_t req = 0;

    if (seconds_opt(cli->request_timeout, "--request-timeout", &req))
        return XA_EXIT_USAGE;
    if (req)
        o->request_timeout_s = (long)((req + 999) / 1000);
    if (cli->batch_ops) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(cli->batch_ops, &end, 10);
        if (errno || *end || end == cli->batch_ops || v < 1 || v > 100000)
            return xa_cli_fail(XA_EXIT_USAGE, "--batch-ops wants a number from 1 to 100000");
        o->batch_ops = v;
    }
    o->verbose = cli->verbose;
    return 0;
}

/* On a terminal, a long sync shows where it is after each round trip. */
static void sync_progress(void *ud)
{
    const xa_sync_report *rep = ud;

    fprintf(stderr, "\rxasync: %llu requests: sent %llu ops, received %llu ops ",
            (unsigned long long)rep->requests, (unsigned long long)rep->ops_sent,
            (unsigned long long)rep->ops_received);
}

static int cmd_sync(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_sync_opts o;
    xa_sync_report rep;
    int rc;

    xa_sync_opts_default(&o);
    if (sync_opts(cli, &o))
        return XA_EXIT_USAGE;
    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    if (xa_sync_global_init() < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(XA_EIO);
    }
    if (isatty(STDERR_FILENO) && !o.verbose) {
        o.on_round = sync_progress;
        o.ud = &rep;
    }
    rc = xa_sync_run(st, &o, &rep);
    xa_sync_global_cleanup();
    if (o.on_round && rep.requests > 0)
        fputc('\n', stderr);
    if (rep.renoded)
        fprintf(stderr,
                "xasync: this PC (or the PC whose edits it carries) was restored from an older"
                " copy; %zu unsent edits now go under a new PC id\n",
                rep.renoded);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    if (rep.snapshot_fields)
        printf("first sync: received the state of %llu fields\n",
               (unsigned long long)rep.snapshot_fields);
    printf("synced: sent %llu ops, received %llu ops; %llu bytes up, %llu bytes down,"
           " %llu requests\n",
           (unsigned long long)rep.ops_sent, (unsigned long long)rep.ops_received,
           (unsigned long long)rep.bytes_sent, (unsigned long long)rep.bytes_received,
           (unsigned long long)rep.requests);
    return finish(st, XA_EXIT_OK);
}

static volatile int daemon_stop;

static void on_stop(int sig)
{
    (void)sig;
    daemon_stop = 1;
}

static int cmd_daemon(xa_cli *cli)
{
    xa_daemon_opts o;
    struct sigaction sa;
    int rc;

    xa_daemon_opts_default(&o);
    if (seconds_opt(cli->pull_interval, "--pull-interval", &o.pull_interval_ms) ||
        seconds_opt(cli->backoff_base, "--backoff-base", &o.backoff_base_ms) ||
        seconds_opt(cli->backoff_cap, "--backoff-cap", &o.backoff_cap_ms) ||
        sync_opts(cli, &o.sync))
        return XA_EXIT_USAGE;
    if (o.backoff_cap_ms < o.backoff_base_ms)
        return xa_cli_fail(XA_EXIT_USAGE, "--backoff-cap is below --backoff-base");
    o.verbose = cli->verbose;
    /* No SA_RESTART: a signal must cut the daemon's sleep short. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (xa_sync_global_init() < 0)
        return xa_cli_fail_xa(XA_EIO);
    rc = xa_daemon_run(cli->db, &o, &daemon_stop);
    xa_sync_global_cleanup();
    if (rc == XA_ENOTFOUND)
        return xa_cli_fail(XA_EXIT_ERR,
                           "no xasync database at %s; create one with `xasync init --scope SCOPE`",
                           cli->db);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    return XA_EXIT_OK;
}
#endif

static void hhmm(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000), now = time(NULL);
    struct tm tm, tn;

    localtime_r(&t, &tm);
    localtime_r(&now, &tn);
    if (tm.tm_yday == tn.tm_yday && tm.tm_year == tn.tm_year)
        strftime(buf, cap, "%H:%M", &tm);
    else
        strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* "about 2 min", "about 40 s", "a moment" */
static void about(int64_t ms, char *buf, size_t cap)
{
    if (ms < 1500)
        snprintf(buf, cap, "a moment");
    else if (ms < 90000)
        snprintf(buf, cap, "about %lld s", (long long)((ms + 999) / 1000));
    else if (ms < 90 * 60000)
        snprintf(buf, cap, "about %lld min", (long long)((ms + 30000) / 60000));
    else
        snprintf(buf, cap, "about %lld h", (long long)((ms + 1800000) / 3600000));
}

/* Is the daemon recorded in the database alive?  Its heartbeat is fresh and
 * its process exists (on this PC). */
static int daemon_alive(const xa_daemon_state *d)
{
    struct timespec ts;
    int64_t now;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    /* The daemon beats between attempts and after every round trip; one
     * request may take up to its timeout (120 s by default). */
    return d->pid > 0 && now - d->heartbeat < 300000 && (kill(d->pid, 0) == 0 || errno == EPERM);
}

/* What a failed attempt's error says, in one word: "refused" (the district
 * server answered and said no: a 4xx, a token, a forged op; trying again will
 * not help), "disk" (this PC's disk is full), else "link" (no connection,
 * timeouts, a server that is down or busy: trying again will). */
static const char *failure_kind(const char *err)
{
    if (strstr(err, "disk is full"))
        return "disk";
    if (strstr(err, "server refused") || strstr(err, "does not speak TLS") ||
        strstr(err, "certificate could not be verified"))
        return "refused";
    return "link";
}

/* The sync state as JSON (status --json; the editor's badge).  NULL with
 * the error set. */
char *xa_cli_status_json(xa_store *st)
{
    xa_remote r;
    xa_attempt ok, down, last;
    xa_daemon_state d;
    uint64_t pending = 0;
    int rc, has_remote, has_ok, failing, alive;
    cJSON *o;
    char t[48], *s;

    has_remote = xa_syncstate_remote_get(st, &r) == 0;
    rc = xa_syncstate_pending(st, xa_store_scope(st), &pending);
    has_ok = rc == 0 && xa_syncstate_attempt_last(st, 1, &ok) == 0;
    failing = rc == 0 && xa_syncstate_failing_since(st, &down) == 0;
    if (rc == 0)
        rc = xa_syncstate_daemon_get(st, &d);
    if (rc < 0)
        return NULL;
    alive = daemon_alive(&d);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scope", xa_store_scope(st));
    if (has_remote)
        cJSON_AddStringToObject(o, "remote", r.url);
    else
        cJSON_AddNullToObject(o, "remote");
    cJSON_AddNumberToObject(o, "pending", (double)pending);
    if (has_ok) {
        xa_view_time_iso(ok.ended, t, sizeof(t));
        cJSON_AddStringToObject(o, "last_success", t);
    } else {
        cJSON_AddNullToObject(o, "last_success");
    }
    if (failing) {
        xa_view_time_iso(down.started, t, sizeof(t));
        cJSON_AddStringToObject(o, "failing_since", t);
        if (xa_syncstate_attempt_last(st, 0, &last) == 0) {
            cJSON_AddStringToObject(o, "last_error", last.error);
            cJSON_AddStringToObject(o, "failure", failure_kind(last.error));
        }
    } else {
        cJSON_AddNullToObject(o, "failing_since");
        cJSON_AddNullToObject(o, "last_error");
        cJSON_AddNullToObject(o, "failure");
    }
    cJSON_AddBoolToObject(o, "daemon", alive);
    if (alive && d.next_try > 0) {
        xa_view_time_iso(d.next_try, t, sizeof(t));
        cJSON_AddStringToObject(o, "next_try", t);
    } else {
        cJSON_AddNullToObject(o, "next_try");
    }
    cJSON_AddNumberToObject(o, "failures", alive ? d.failures : 0);
    s = cJSON_Print(o);
    cJSON_Delete(o);
    if (s == NULL)
        xa_error_set(XA_ENOMEM, "out of memory");
    return s;
}

static int cmd_status(xa_cli *cli)
{
    xa_store *st = NULL;
    xa_remote r;
    xa_attempt ok, down;
    xa_daemon_state d;
    uint64_t pending = 0;
    int rc, has_remote, has_ok, failing, alive;
    struct timespec ts;
    int64_t now;

    if (xa_cli_open(cli, &st) != 0)
        return XA_EXIT_ERR;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    has_remote = xa_syncstate_remote_get(st, &r) == 0;
    rc = xa_syncstate_pending(st, xa_store_scope(st), &pending);
    has_ok = rc == 0 && xa_syncstate_attempt_last(st, 1, &ok) == 0;
    failing = rc == 0 && xa_syncstate_failing_since(st, &down) == 0;
    if (rc == 0)
        rc = xa_syncstate_daemon_get(st, &d);
    if (rc < 0) {
        xa_store_close(st);
        return xa_cli_fail_xa(rc);
    }
    alive = daemon_alive(&d);
    if (cli->json) {
        char *s = xa_cli_status_json(st);
        if (s == NULL) {
            xa_store_close(st);
            return xa_cli_fail_xa(XA_EIO);
        }
        put_text(s);
        return finish(st, XA_EXIT_OK);
    }
    /* "3 changes waiting; last sent 10:42; no connection since 11:05 (could
     * not connect to the district server); next try in about 2 min" */
    char t[32], in[32];
    if (pending == 0)
        printf("all changes sent");
    else
        printf("%llu change%s waiting", (unsigned long long)pending, pending == 1 ? "" : "s");
    if (has_ok) {
        hhmm(ok.ended, t, sizeof(t));
        printf("; last sent %s", t);
    } else {
        printf("; never sent");
    }
    if (failing) {
        xa_attempt last;
        int has_last = xa_syncstate_attempt_last(st, 0, &last) == 0;
        const char *kind = has_last ? failure_kind(last.error) : "link";
        hhmm(down.started, t, sizeof(t));
        if (strcmp(kind, "refused") == 0)
            printf("; the district server refuses the sync since %s", t);
        else if (strcmp(kind, "disk") == 0)
            printf("; this PC's disk is full since %s", t);
        else
            printf("; no connection since %s", t);
        if (has_last)
            printf(" (%s)", last.error);
        if (strcmp(kind, "refused") == 0)
            printf("; not a network fault: trying again will not help, tell the district"
                   " (máy chủ huyện từ chối, không phải lỗi mạng: hãy báo huyện)");
        else if (strcmp(kind, "disk") == 0)
            printf("; free some space on this PC, nothing is lost (ổ đĩa đầy: hãy giải phóng"
                   " dung lượng, không mất dữ liệu)");
    }
    if (!has_remote) {
        printf("; no district server set (`xasync remote set`)");
    } else if (alive && d.next_try > 0) {
        about(d.next_try - now, in, sizeof(in));
        printf("; next try in %s", in);
    } else if (!alive) {
        printf("; the sync daemon is not running (`xasync daemon`)");
    }
    putchar('\n');
    return finish(st, XA_EXIT_OK);
}

const xa_command xa_commands[] = {
    {"init", "--scope SCOPE", "create the database for a commune (scope)",
     "  --scope SCOPE  the commune's data set: lowercase letters, digits, '-' (hoang-kim)\n"
     "Refuses to overwrite an existing database.\n",
     OPT_SCOPE, 0, 0, cmd_init},
    {"set", "ENTITY FIELD VALUE [--author NAME]", "record an edit (returns once it is on disk)",
     "  --author NAME  who made the edit (else $XASYNC_AUTHOR, else the login name)\n"
     "A field in conflict is refused: settle it with `xasync resolve`.\n"
     "Values are UTF-8 text of at most 65536 bytes (as JSON).\n",
     OPT_AUTHOR, 3, 3, cmd_set},
    {"get", "ENTITY FIELD [--json]", "print a field's value",
     "In a conflict, prints every value (value, author, time, node) and exits 3.\n", OPT_JSON, 2, 2,
     cmd_get},
    {"show", "[ENTITY] [--json]", "print every field (of one entity)", "", OPT_JSON, 0, 1,
     cmd_show},
    {"log", "[ENTITY [FIELD]] [--json]", "print the history: time, author, node, before -> after",
     "", OPT_JSON, 0, 2, cmd_log},
    {"conflicts", "[--json]", "list the fields holding concurrent values", "", OPT_JSON, 0, 0,
     cmd_conflicts},
    {"resolve", "ENTITY FIELD VALUE [--author NAME]",
     "settle a conflict with a value that replaces every one of them",
     "  --author NAME  who settled it\n", OPT_AUTHOR, 3, 3, cmd_resolve},
    {"have", "[--json]", "print this replica's version vector (JSON)", "", OPT_JSON, 0, 0,
     cmd_have},
    {"export-ops", "--have FILE_OR_JSON | --all", "write the ops another replica lacks (JSON)",
     "  --have X  that replica's `xasync have` output, as a file or as JSON text\n"
     "  --all     every op\n"
     "  -o FILE   write to FILE; an export over 96 MiB (or XASYNC_EXPORT_FILE_MAX bytes)\n"
     "            goes on in FILE.2, FILE.3, ... (each needs only those before it: apply\n"
     "            them in order)\n"
     "For a commune with no link: export to a USB stick, `xasync apply` at the other end.\n",
     OPT_HAVE | OPT_ALL | OPT_OUTPUT, 0, 0, cmd_export},
    {"apply", "FILE...", "merge ops files (from export-ops; - for standard input)",
     "All of a file is applied, or none of it; several files (an export split with -o)\n"
     "are applied in the order given.\n",
     0, 1, XA_CLI_MAXPOS, cmd_apply},
    {"repair", "", "set aside ops whose context claims edits not held; recover this PC's edits",
     "For a database that took in a damaged or crafted ops file before such files were\n"
     "refused: those ops are kept aside (never applied), this PC's edits since then move to\n"
     "a new node id and show again.  Nothing this PC wrote is lost.\n",
     0, 0, 0, cmd_repair},
    {"remote", "set URL --token-file FILE [--cacert FILE]", "set the district server",
     "  --token-file FILE  the file holding the commune's token (never the token itself)\n"
     "  --cacert FILE      the district's CA certificate (else the system's CAs)\n"
     "`xasync remote` alone shows the server set.\n",
     OPT_TOKEN_FILE | OPT_CACERT, 0, 2, cmd_remote},
    {"sync", "[--verbose] [--batch-ops N] [--request-timeout S]",
     "send this PC's edits to the district and fetch what it lacks",
     "One sync to completion; exits 0 only when both sides hold the same edits.\n"
     "  --batch-ops N        most edits sent in one request (500)\n"
     "  --request-timeout S  most seconds one request may take (120)\n",
     OPT_VERBOSE | OPT_BATCH | OPT_REQ_TIMEOUT, 0, 0, XA_FULL(cmd_sync)},
    {"status", "[--json]", "changes waiting, the last successful sync, the last error", "",
     OPT_JSON, 0, 0, cmd_status},
    {"daemon", "[--pull-interval S] [--backoff-base S] [--backoff-cap S] [OPTIONS]",
     "sync in the background: every edit goes out whenever a link exists",
     "Runs in the foreground until SIGTERM or SIGINT (systemd's way).  Syncs within a second\n"
     "or two of an edit, and every --pull-interval (default 300 s) to fetch.  A failed\n"
     "attempt waits up to --backoff-base (2 s) doubling to --backoff-cap (600 s), with\n"
     "jitter.  --request-timeout S bounds one request (120 s); --batch-ops N the edits in\n"
     "one request (500); --verbose logs every attempt.  One daemon per database.\n",
     OPT_PULL | OPT_BACKOFF_BASE | OPT_BACKOFF_CAP | OPT_REQ_TIMEOUT | OPT_BATCH | OPT_VERBOSE, 0,
     0, XA_FULL(cmd_daemon)},
    {"report", "import|list|outline|edit|add|delete|check|export|copy ...",
     "the commune report: import, edit, check and print it",
     "  report import FILE [--id ID] [--kind K] [--period P]\n"
     "                                       bring in a report in its text form or as a Word\n"
     "                                       file (.docx) (kind and period: what the district\n"
     "                                       adds up; default from the title and date,\n"
     "                                       so-ket-6-thang 2024-h1)\n"
     "  report list                          the reports held\n"
     "  report outline [--json]              parts and headings, with their paths\n"
     "  report edit PATH VALUE               header/so, ind/4/est, 2.1, b/ID[/FIELD]\n"
     "  report add KIND TEXT [--after PATH]  a para, bullet, heading or row\n"
     "  report delete PATH                   a paragraph or a row\n"
     "  report check [--json]                recompute the figures; exit 1 if something is"
     " flagged\n"
     "  report fix N|CODE@WHERE              apply a finding's computed fix, as an edit\n"
     "  report import FILE --force           keep lines that cannot be placed as paragraphs\n"
     "                                       (listed); without it the import is refused\n"
     "  report export [--format text|html|json|docx] [-o FILE]\n"
     "                                       print it; docx: a Word file in the layout of\n"
     "                                       Nghị định 30 (-o FILE, or a pipe)\n"
     "  report import FILE --form ID [--period P]  bind the table to a form of the district\n"
     "  report new --form ID --period P [--id ID]  a report started from a form\n"
     "  report copy --period P [--id ID]     last period's report for period P: its text\n"
     "                                       kept, this period's figures (est) moved to the\n"
     "                                       previous period's column (prev), est left empty\n"
     "  report bind ind/TT CODE              bind a row to an indicator by hand (- unbinds)\n"
     "  report submit [ID]                   \"Gửi lên huyện\": mark this version sent\n"
     "  report state [--json]                draft, sent, accepted or returned\n"
     "  --report ID                          which report, when there are several\n",
     OPT_ID | OPT_FORMAT | OPT_AFTER | OPT_REPORT | OPT_JSON | OPT_AUTHOR | OPT_KIND | OPT_PERIOD |
         OPT_FORM | OPT_OUTPUT | OPT_FORCE,
     1, 3, xa_cmd_report},
    {"ui", "[--listen 127.0.0.1:8641] [--open]",
     "the clerk's editor: a page in the browser, served from this PC",
     "Serves the editor on this PC only (loopback) until SIGTERM or Ctrl-C.  --open starts the\n"
     "browser on it.  Works the same with the network down.\n",
     OPT_LISTEN | OPT_OPEN | OPT_AUTHOR, 0, 0, XA_FULL(xa_cmd_ui)},
    {NULL, NULL, NULL, NULL, 0, 0, 0, NULL},
};
