/*
 * A file written whole or not at all (report.h): a temporary file beside
 * it, fsync, rename.  Every export to -o FILE goes through it.
 */
#include "xasync/error.h"
#include "xasync/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int xa_write_file(const char *path, const void *data, size_t len)
{
    char *tmp;
    int fd, e;
    size_t off = 0;

    if (path == NULL || path[0] == '\0')
        return xa_error_set(XA_EINVAL, "no output file named");
    tmp = malloc(strlen(path) + 16);
    if (tmp == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    sprintf(tmp, "%s.tmp-XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        e = errno;
        free(tmp);
        return xa_error_set(XA_EIO, "không ghi được tệp %s / cannot write %s: %s", path, path,
                            strerror(e));
    }
    while (off < len) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    free(tmp);
    return 0;
fail:
    e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return xa_error_set(XA_EIO, "không ghi được tệp %s / cannot write %s: %s", path, path,
                        strerror(e ? e : EIO));
}
