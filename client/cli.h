/*
 * The `xasync` command line: options, the command table, and the output
 * helpers the commands share.
 *
 * Exit codes: 0 done; 1 error (bad input, missing database, failed I/O);
 * 2 usage (unknown command or option, wrong arguments); 3 conflict.
 */
#ifndef XA_CLI_H
#define XA_CLI_H

#include "xasync/store.h"

#include <stdio.h>

enum { XA_EXIT_OK = 0, XA_EXIT_ERR = 1, XA_EXIT_USAGE = 2, XA_EXIT_CONFLICT = 3 };

/* Options a command may accept (bit mask). */
enum {
    OPT_JSON = 1 << 0,
    OPT_AUTHOR = 1 << 1,
    OPT_SCOPE = 1 << 2,
    OPT_HAVE = 1 << 3,
    OPT_ALL = 1 << 4,
    OPT_TOKEN_FILE = 1 << 5,
    OPT_CACERT = 1 << 6,
    OPT_VERBOSE = 1 << 7,
    OPT_PULL = 1 << 8,
    OPT_BACKOFF_BASE = 1 << 9,
    OPT_BACKOFF_CAP = 1 << 10,
    OPT_REQ_TIMEOUT = 1 << 11,
    OPT_BATCH = 1 << 12,
    OPT_ID = 1 << 13,
    OPT_FORMAT = 1 << 14,
    OPT_AFTER = 1 << 15,
    OPT_REPORT = 1 << 16,
    OPT_KIND = 1 << 17,
    OPT_PERIOD = 1 << 18,
    OPT_LISTEN = 1 << 19,
    OPT_OPEN = 1 << 20,
    OPT_FORCE = 1 << 24,
    OPT_FORM = 1 << 27,
    OPT_OUTPUT = 1 << 29,
};

#define XA_CLI_MAXPOS 8

typedef struct xa_cli {
    const char *cmd;
    const char *db; /* --db, else $XASYNC_DB, else the default path */
    char dbbuf[4096];
    int json;
    const char *author;
    const char *scope;
    const char *have;
    int all;
    const char *token_file;
    const char *cacert;
    int verbose;
    const char *pull_interval;
    const char *backoff_base;
    const char *backoff_cap;
    const char *request_timeout;
    const char *batch_ops;
    const char *id;
    const char *format;
    const char *after;
    const char *report;
    const char *kind;
    const char *period;
    const char *listen;
    int open;
    int force; /* --force: report import keeps unplaced lines as paragraphs */
    const char *form;
    const char *output; /* --output FILE, or -o FILE */
    int npos;
    const char *pos[XA_CLI_MAXPOS];
} xa_cli;

typedef struct xa_command {
    const char *name;
    const char *args;    /* usage after the name */
    const char *summary; /* one line */
    const char *help;    /* more lines, may be "" */
    unsigned opts;
    int minpos, maxpos;
    int (*run)(xa_cli *cli);
} xa_command;

extern const xa_command xa_commands[];

/* Print "xasync: <message>" on one line to stderr; return `code`. */
int xa_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with xa_error_last(); the exit code follows from the XA_E* code. */
int xa_cli_fail_xa(int xa_code);

/* Open the database named by the command line (errors reported). */
int xa_cli_open(xa_cli *cli, xa_store **out);

/* The author of a write: --author, $XASYNC_AUTHOR, or the login name. */
const char *xa_cli_author(const xa_cli *cli);

/* Read a whole file ("-": standard input), at most `max` bytes; malloc'd
 * and NUL-terminated, or NULL with the error set (commands.c). */
char *xa_cli_read_file(const char *path, size_t max, size_t *len);

/* The sync state as JSON (commands.c); malloc'd, NULL on error. */
char *xa_cli_status_json(xa_store *st);

/* `xasync ui` (ui.c). */
int xa_cmd_ui(xa_cli *cli);

/* The commands that use the network (sync, daemon, ui) and the Word
 * files (.docx export and import) are built into a second program,
 * xasync-full, beside `xasync` (or in ../libexec/xasync/): `xasync` runs it
 * in its own place (exec: same PID, same arguments), so that every other
 * command starts without loading libcurl, libmicrohttpd, GnuTLS, libxml2
 * and libzip (full_exec.c).  XA_FRONT is defined when building `xasync`
 * itself. */
#ifdef XA_FRONT
#define XA_FULL(fn) xa_cli_exec_full
int xa_cli_exec_full(xa_cli *cli);
#else
#define XA_FULL(fn) fn
#endif
/* The program's arguments as main() received them (cli.c). */
extern char **xa_cli_argv;

/* `xasync report …` (report_cmd.c). */
int xa_cmd_report(xa_cli *cli);

int xa_cli_main(int argc, char **argv);

#endif
