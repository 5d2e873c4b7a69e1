/*
 * `xasync sync`, `daemon`, `ui` and the Word files run in xasync-full
 * (cli.h): found beside
 * this program (a build folder, or an install in one bin/), else in
 * ../libexec/xasync/ relative to it, and run with the same arguments in
 * this process's place, so its PID, signals and locks stay the caller's.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FULL_NAME "xasync-full"

static int try_exec(const char *dir, const char *rel)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s%s", dir, rel, FULL_NAME);

    if (n < 0 || (size_t)n >= sizeof(path) || access(path, X_OK) != 0)
        return -1;
    execv(path, xa_cli_argv);
    return errno; /* exec failed: say why */
}

int xa_cli_exec_full(xa_cli *cli)
{
    char self[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    int err = -1;

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            err = try_exec(self, "");
            if (err < 0)
                err = try_exec(self, "../libexec/xasync/");
        }
    }
    return xa_cli_fail(XA_EXIT_ERR,
                       "`xasync %s` needs %s, installed with xasync beside it or in"
                       " ../libexec/xasync/, and it %s; reinstall xasync"
                       " / cần chương trình %s đi kèm xasync: hãy cài lại xasync",
                       cli->cmd, FULL_NAME, err > 0 ? strerror(err) : "was not found", FULL_NAME);
}
