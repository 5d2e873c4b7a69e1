/*
 * Parsing the `xasync` command line.
 *
 * Options may stand anywhere on the line.  Only words beginning with "--"
 * (and -h, -o) are options, so a value such as "-5" or "- item" is taken as it
 * is; "--" ends the options.  Each command lists the options it accepts; any
 * other is an error (exit 2), before the database is touched.
 */
#include "cli.h"

#include "xasync/error.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xa_cli_fail(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One line, whatever the message holds. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fflush(stdout);
    fprintf(stderr, "xasync: %s\n", msg);
    return code;
}

int xa_cli_fail_xa(int xa_code)
{
    int code = xa_code == XA_ECONFLICT ? XA_EXIT_CONFLICT : XA_EXIT_ERR;

    return xa_cli_fail(code, "%s", xa_error_last());
}

const char *xa_cli_author(const xa_cli *cli)
{
    const char *a = cli->author;
    struct passwd *pw;

    if (a == NULL || *a == '\0')
        a = getenv("XASYNC_AUTHOR");
    if (a == NULL || *a == '\0') {
        pw = getpwuid(geteuid());
        a = pw && pw->pw_name ? pw->pw_name : NULL;
    }
    if (a == NULL || *a == '\0')
        a = getenv("USER");
    return a && *a ? a : "unknown";
}

/* A file SQLite cannot read may still be ours: an SQLite header naming
 * xasync (its application id, at byte 68) on a file cut short or damaged.
 * Returns the file's size, or -1 if the header is not ours. */
static long long xasync_header_size(const char *path)
{
    unsigned char h[100];
    FILE *f = fopen(path, "rb");
    long long size = -1;

    if (f == NULL)
        return -1;
    if (fread(h, 1, sizeof(h), f) == sizeof(h) && memcmp(h, "SQLite format 3", 16) == 0 &&
        ((unsigned)h[68] << 24 | (unsigned)h[69] << 16 | (unsigned)h[70] << 8 | h[71]) ==
            0x78617379u &&
        fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    fclose(f);
    return size;
}

/* Can this process write the database and make its -wal and -shm files
 * beside it (SQLite's WAL mode needs both)? */
static int writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;

    if (access(path, W_OK) != 0)
        return 0;
    if (slash == NULL)
        return access(".", W_OK) == 0;
    if (n == 0)
        return access("/", W_OK) == 0;
    if (n >= sizeof(dir))
        return 1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return access(dir, W_OK) == 0;
}

/* Commands that only read the database: they also work on a copy that
 * cannot be written. */
static int reads_only(const xa_cli *cli)
{
    static const char *const cmds[] = {"get",  "show",       "log",    "conflicts",
                                       "have", "export-ops", "status", NULL};
    static const char *const report[] = {"list", "outline", "check", "export", "state", NULL};

    for (int i = 0; cmds[i]; i++)
        if (strcmp(cli->cmd, cmds[i]) == 0)
            return 1;
    if (strcmp(cli->cmd, "report") == 0 && cli->npos > 0)
        for (int i = 0; report[i]; i++)
            if (strcmp(cli->pos[0], report[i]) == 0)
                return 1;
    return 0;
}

/* Said once, on the open that did it: this file took a new PC id because
 * it is a copy (storage/incarnation.c). */
static void note_fork(const xa_store *st)
{
    static const char *const vi[] = {
        [XA_FORK_NO_MARKER] = "thiếu tệp ghi mã máy bên cạnh (bản sao, hoặc tạo bởi xasync cũ)",
        [XA_FORK_OTHER_NODE] = "tệp ghi mã máy bên cạnh ghi một mã khác",
        [XA_FORK_MACHINE] = "tệp được chép sang máy khác",
        [XA_FORK_PATH] = "tệp được chép hoặc chuyển sang chỗ khác",
        [XA_FORK_BEHIND] = "tệp được khôi phục từ bản sao lưu cũ hơn",
    };
    static const char *const en[] = {
        [XA_FORK_NO_MARKER] = "the record of its PC id beside it is missing (a copy, or made by"
                              " an older xasync)",
        [XA_FORK_OTHER_NODE] = "the record beside it names another PC id",
        [XA_FORK_MACHINE] = "it was copied to another machine",
        [XA_FORK_PATH] = "it was copied or moved to another place",
        [XA_FORK_BEHIND] = "it was put back from an older backup",
    };
    xa_node old = 0;
    xa_fork_why why = xa_store_forked(st, &old);
    char was[XA_NODE_HEX + 1], now[XA_NODE_HEX + 1];

    if (why == XA_FORK_NONE || why > XA_FORK_BEHIND)
        return;
    xa_node_format(old, was);
    xa_node_format(xa_store_node(st), now);
    fprintf(stderr,
            "xasync: %s: từ nay máy này ghi dưới mã máy mới %s (trước là %s), để không số sửa đổi"
            " nào bị dùng hai lần; không sửa đổi nào bị mất / %s: from now on this PC writes"
            " under a new PC id %s (it was %s), so that no edit number is used twice; no edit is"
            " lost\n",
            vi[why], now, was, en[why], now, was);
}

int xa_cli_open(xa_cli *cli, xa_store **out)
{
    int rc = xa_store_open(out, cli->db);
    long long size;

    if (rc < 0 && rc != XA_EBUSY && rc != XA_ENOTFOUND && reads_only(cli) &&
        xasync_header_size(cli->db) >= 0 && !writable(cli->db) &&
        xa_store_open_readonly(out, cli->db) == 0) {
        fprintf(stderr,
                "xasync: %s chỉ đọc được: hiện như nó đang có, không thay đổi gì / %s can only be"
                " read: shown as it is, nothing changed\n",
                cli->db, cli->db);
        rc = 0;
    }

    if (rc == XA_ENOTFOUND)
        return xa_cli_fail(XA_EXIT_ERR,
                           "no xasync database at %s; create one with"
                           " `xasync init --scope SCOPE` (or give --db PATH)",
                           cli->db);
    if (rc < 0 && rc != XA_EBUSY && access(cli->db, R_OK) != 0 && errno == EACCES)
        return xa_cli_fail(XA_EXIT_ERR,
                           "không được phép đọc %s (quyền của tệp); không có gì bị thay đổi / %s "
                           "may not be read by this user (the file's permissions); nothing was "
                           "changed: ask whoever owns it, or use your own copy",
                           cli->db, cli->db);
    if (rc < 0 && rc != XA_EBUSY && xasync_header_size(cli->db) >= 0 && !writable(cli->db))
        return xa_cli_fail(XA_EXIT_ERR,
                           "không ghi được vào %s (chỉ đọc: quyền của tệp hoặc thư mục, hay đĩa/USB"
                           " chỉ đọc); không có gì bị thay đổi: chép tệp sang một thư mục ghi được "
                           "/ %s cannot be written (read-only: the file's or its folder's "
                           "permissions, or a read-only disk or USB stick); nothing was changed: "
                           "copy it to a folder you can write to, or ask whoever owns it",
                           cli->db, cli->db);
    if ((rc == XA_ENOTXA || rc == XA_ECORRUPT) && (size = xasync_header_size(cli->db)) >= 0)
        return xa_cli_fail(XA_EXIT_ERR,
                           "%s là cơ sở dữ liệu xasync nhưng bị hỏng hoặc bị cắt cụt (%lld byte);"
                           " không có gì bị thay đổi: hãy khôi phục từ bản sao lưu / %s is an "
                           "xasync database, but damaged or cut short (%lld bytes); nothing was "
                           "changed: restore it from a backup",
                           cli->db, size, cli->db, size);
    if (rc < 0)
        return xa_cli_fail_xa(rc);
    note_fork(*out);
    if (xa_store_scope(*out)[0] == '\0') {
        xa_store_close(*out);
        *out = NULL;
        return xa_cli_fail(XA_EXIT_ERR,
                           "%s là cơ sở dữ liệu của máy chủ huyện, không phải của máy xã: dùng "
                           "`xasync-district` với tệp này / %s is the district server's database,"
                           " not a commune PC's: use `xasync-district` with it, or give `xasync` "
                           "the PC's own file (--db PATH)",
                           cli->db, cli->db);
    }
    return 0;
}

static void usage_overview(FILE *f)
{
    fprintf(f, "usage: xasync [--db PATH] COMMAND [ARGS...]\n\n"
               "Records every edit to the commune's report in a local journal, offline.\n\n"
               "Commands:\n");
    for (const xa_command *c = xa_commands; c->name; c++)
        fprintf(f, "  %-11s %s\n", c->name, c->summary);
    fprintf(f, "\nThe database is --db PATH, else $XASYNC_DB, else"
               " ~/.local/share/xasync/xasync.db.\n"
               "`xasync COMMAND --help` tells more.  Exit codes: 0 done, 1 error,"
               " 2 wrong usage, 3 conflict.\n");
}

static void usage_command(FILE *f, const xa_command *c)
{
    fprintf(f, "usage: xasync [--db PATH] %s%s%s\n\n%s\n", c->name, *c->args ? " " : "", c->args,
            c->summary);
    if (*c->help)
        fprintf(f, "\n%s", c->help);
    if (c->opts & OPT_JSON)
        fprintf(f, "\n  --json        print JSON instead of text\n");
}

static const xa_command *find_command(const char *name)
{
    for (const xa_command *c = xa_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static int default_db(xa_cli *cli)
{
    const char *env = getenv("XASYNC_DB"), *home = getenv("HOME");
    int n;

    if (cli->db)
        return 0;
    if (env && *env) {
        cli->db = env;
        return 0;
    }
    if (home == NULL || *home == '\0') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (home == NULL)
        return xa_cli_fail(XA_EXIT_ERR, "cannot find the home folder; give --db PATH");
    n = snprintf(cli->dbbuf, sizeof(cli->dbbuf), "%s/.local/share/xasync/xasync.db", home);
    if (n < 0 || (size_t)n >= sizeof(cli->dbbuf))
        return xa_cli_fail(XA_EXIT_ERR, "the home folder's path is too long; give --db PATH");
    cli->db = cli->dbbuf;
    return 0;
}

/* Match "--name" or "--name=value"; *val gets the inline value or NULL. */
static int is_opt(const char *arg, const char *name, const char **val)
{
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '\0') {
        *val = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *val = arg + n + 1;
        return 1;
    }
    return 0;
}

struct optdef {
    const char *name;
    unsigned bit; /* 0: global */
    int takes_value;
};

static const struct optdef optdefs[] = {
    {"--db", 0, 1},
    {"--json", OPT_JSON, 0},
    {"--author", OPT_AUTHOR, 1},
    {"--scope", OPT_SCOPE, 1},
    {"--have", OPT_HAVE, 1},
    {"--all", OPT_ALL, 0},
    {"--token-file", OPT_TOKEN_FILE, 1},
    {"--cacert", OPT_CACERT, 1},
    {"--verbose", OPT_VERBOSE, 0},
    {"--pull-interval", OPT_PULL, 1},
    {"--backoff-base", OPT_BACKOFF_BASE, 1},
    {"--backoff-cap", OPT_BACKOFF_CAP, 1},
    {"--request-timeout", OPT_REQ_TIMEOUT, 1},
    {"--batch-ops", OPT_BATCH, 1},
    {"--id", OPT_ID, 1},
    {"--format", OPT_FORMAT, 1},
    {"--after", OPT_AFTER, 1},
    {"--report", OPT_REPORT, 1},
    {"--kind", OPT_KIND, 1},
    {"--period", OPT_PERIOD, 1},
    {"--listen", OPT_LISTEN, 1},
    {"--open", OPT_OPEN, 0},
    {"--force", OPT_FORCE, 0},
    {"--form", OPT_FORM, 1},
    {"--output", OPT_OUTPUT, 1},
    {NULL, 0, 0},
};

char **xa_cli_argv;

int xa_cli_main(int argc, char **argv)
{
    xa_cli_argv = argv;
    xa_cli cli;
    const xa_command *cmd = NULL;
    const char *bad_opt = NULL;
    unsigned seen = 0;
    int help = 0, end_opts = 0, nextra = 0;

    memset(&cli, 0, sizeof(cli));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const struct optdef *d = NULL;

        if (!end_opts && strcmp(a, "--") == 0) {
            end_opts = 1;
            continue;
        }
        if (!end_opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            help = 1;
            continue;
        }
        /* -o FILE is --output FILE (as -h is --help) */
        if (!end_opts && strcmp(a, "-o") == 0)
            a = "--output";
        if (!end_opts && strncmp(a, "--", 2) == 0) {
            for (d = optdefs; d->name; d++)
                if (is_opt(a, d->name, &val))
                    break;
            if (d->name == NULL) {
                if (bad_opt == NULL)
                    bad_opt = a;
                continue;
            }
            if (d->takes_value && val == NULL) {
                if (i + 1 >= argc)
                    return xa_cli_fail(XA_EXIT_USAGE, "option %s needs a value", d->name);
                val = argv[++i];
            } else if (!d->takes_value && val != NULL) {
                return xa_cli_fail(XA_EXIT_USAGE, "option %s takes no value", d->name);
            }
            seen |= d->bit;
            if (strcmp(d->name, "--db") == 0)
                cli.db = val;
            else if (d->bit == OPT_JSON)
                cli.json = 1;
            else if (d->bit == OPT_AUTHOR)
                cli.author = val;
            else if (d->bit == OPT_SCOPE)
                cli.scope = val;
            else if (d->bit == OPT_HAVE)
                cli.have = val;
            else if (d->bit == OPT_ALL)
                cli.all = 1;
            else if (d->bit == OPT_TOKEN_FILE)
                cli.token_file = val;
            else if (d->bit == OPT_CACERT)
                cli.cacert = val;
            else if (d->bit == OPT_VERBOSE)
                cli.verbose = 1;
            else if (d->bit == OPT_PULL)
                cli.pull_interval = val;
            else if (d->bit == OPT_BACKOFF_BASE)
                cli.backoff_base = val;
            else if (d->bit == OPT_BACKOFF_CAP)
                cli.backoff_cap = val;
            else if (d->bit == OPT_REQ_TIMEOUT)
                cli.request_timeout = val;
            else if (d->bit == OPT_BATCH)
                cli.batch_ops = val;
            else if (d->bit == OPT_ID)
                cli.id = val;
            else if (d->bit == OPT_FORMAT)
                cli.format = val;
            else if (d->bit == OPT_AFTER)
                cli.after = val;
            else if (d->bit == OPT_REPORT)
                cli.report = val;
            else if (d->bit == OPT_KIND)
                cli.kind = val;
            else if (d->bit == OPT_PERIOD)
                cli.period = val;
            else if (d->bit == OPT_LISTEN)
                cli.listen = val;
            else if (d->bit == OPT_OPEN)
                cli.open = 1;
            else if (d->bit == OPT_FORCE)
                cli.force = 1;
            else if (d->bit == OPT_FORM)
                cli.form = val;
            else if (d->bit == OPT_OUTPUT)
                cli.output = val;
            continue;
        }
        if (cli.cmd == NULL) {
            cli.cmd = a;
            continue;
        }
        if (cli.npos < XA_CLI_MAXPOS)
            cli.pos[cli.npos++] = a;
        else
            nextra++;
    }

    if (cli.cmd && strcmp(cli.cmd, "help") == 0) {
        cmd = cli.npos ? find_command(cli.pos[0]) : NULL;
        if (cmd)
            usage_command(stdout, cmd);
        else
            usage_overview(stdout);
        return XA_EXIT_OK;
    }
    if (cli.cmd == NULL) {
        if (help && bad_opt == NULL) {
            usage_overview(stdout);
            return XA_EXIT_OK;
        }
        if (bad_opt)
            return xa_cli_fail(XA_EXIT_USAGE, "unknown option '%s'; see `xasync --help`", bad_opt);
        return xa_cli_fail(XA_EXIT_USAGE,
                           "usage: xasync [--db PATH] COMMAND [ARGS...]; see `xasync --help`");
    }
    cmd = find_command(cli.cmd);
    if (cmd == NULL)
        return xa_cli_fail(XA_EXIT_USAGE, "unknown command '%s'; see `xasync --help`", cli.cmd);
    if (bad_opt)
        return xa_cli_fail(XA_EXIT_USAGE, "unknown option '%s' for %s; see `xasync %s --help`",
                           bad_opt, cmd->name, cmd->name);
    if (help) {
        usage_command(stdout, cmd);
        return XA_EXIT_OK;
    }
    for (const struct optdef *d = optdefs; d->name; d++)
        if ((seen & d->bit) && !(cmd->opts & d->bit))
            return xa_cli_fail(XA_EXIT_USAGE, "unknown option '%s' for %s; see `xasync %s --help`",
                               d->name, cmd->name, cmd->name);
    if (nextra || cli.npos < cmd->minpos || cli.npos > cmd->maxpos)
        return xa_cli_fail(XA_EXIT_USAGE, "usage: xasync %s %s", cmd->name, cmd->args);
    if (default_db(&cli) != 0)
        return XA_EXIT_ERR;
    return cmd->run(&cli);
}
