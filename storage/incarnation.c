/*
 * The node marker: a PC's database, restored from a backup or copied to
 * another place or machine, takes a new node id before it writes anything,
 * so it never gives a dot a second meaning.
 *
 * A PC's node id numbers its edits 1, 2, 3...  A backup put back, or a copy
 * of the file on a second PC, numbers new edits with seqs the original may
 * already have used with other content: two incarnations of one node.
 * xa_store_meet and the district's forgery check find such a split where
 * the two meet, and move one side (storage/rekey.c), but by then ops may
 * have travelled.  This file keeps the split from happening in the cases a
 * file alone can tell:
 *
 *   beside the database, `<db>-node` records the node id, how many edits
 *   that node holds here (summed over scopes), the machine
 *   (/etc/machine-id) and the database's absolute path.  It is rewritten
 *   after every commit that adds an edit of this node.  After, not before:
 *   a process killed between the two leaves the record one step behind the
 *   file, which is harmless, where one ahead would look like a backup put
 *   back and cost a new id.
 *
 * On opening a PC's database for writing, the marker must name the same
 * node, machine and path and a count not above the file's.  If not (no
 * marker: a copy or a database made before markers; another machine or
 * path: a copy; a larger count: a backup put back), the PC takes a new
 * random node id before anything is written.  Its earlier edits keep their
 * dots; new ones go under the new id.  Nothing is lost and nothing is
 * moved.
 *
 * What a file cannot tell: a whole disk or virtual machine put back from an
 * image (database and marker together, same machine id).  That case is
 * left to the detection where the incarnations meet.
 *
 * The district's database (no scope) has no marker: its node writes only
 * forms and decisions, and it is the arbiter other replicas are checked
 * against.
 */
#define _GNU_SOURCE
#include "store_int.h"
#include "xasync/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_MAGIC "xasync node marker 1"

typedef struct {
    xa_node node;
    uint64_t count;
    char machine[80];
    char path[PATH_MAX];
} marker;

static void machine_id(char *out, size_t cap)
{
    static const char *const files[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};

    snprintf(out, cap, "-");
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        FILE *f = fopen(files[i], "re");
        char line[80];
        if (f == NULL)
            continue;
        if (fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\r\n \t")] = '\0';
            if (line[0]) {
                snprintf(out, cap, "%s", line);
                fclose(f);
                return;
            }
        }
        fclose(f);
    }
}

static int marker_name(const xa_store *st, char *out, size_t cap, const char *suffix)
{
    if ((size_t)snprintf(out, cap, "%s-node%s", st->path, suffix) >= cap)
        return xa_error_set(XA_EINVAL, "the database's path is too long");
    return 0;
}

/* The database's absolute path; a path with a newline is kept as "?" (it
 * can never match, so such a file takes a new id on every open: harmless). */
static void db_realpath(const xa_store *st, char *out, size_t cap)
{
    char buf[PATH_MAX];

    if (realpath(st->path, buf) == NULL || strchr(buf, '\n') != NULL)
        snprintf(out, cap, "?");
    else
        snprintf(out, cap, "%s", buf);
}

/* 1: read, 0: no marker or not one (treated alike: a new id) */
static int marker_read(const xa_store *st, marker *m)
{
    char name[PATH_MAX + 16], text[PATH_MAX + 256];
    size_t n;
    FILE *f;
    int got = 0;

    memset(m, 0, sizeof(*m));
    if (marker_name(st, name, sizeof(name), "") < 0)
        return 0;
    f = fopen(name, "re");
    if (f == NULL)
        return 0;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strcmp(line, MARKER_MAGIC) == 0) {
            got |= 1;
        } else if (strncmp(line, "node ", 5) == 0) {
            if (xa_node_parse(line + 5, &m->node) == 0)
                got |= 2;
        } else if (strncmp(line, "count ", 6) == 0) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(line + 6, &end, 10);
            if (!errno && *end == '\0' && end != line + 6) {
                m->count = v;
                got |= 4;
            }
        } else if (strncmp(line, "machine ", 8) == 0) {
            snprintf(m->machine, sizeof(m->machine), "%s", line + 8);
            got |= 8;
        } else if (strncmp(line, "path ", 5) == 0) {
            snprintf(m->path, sizeof(m->path), "%s", line + 5);
            got |= 16;
        }
    }
    return got == 31;
}

/* This node's edits held here, summed over scopes: it only grows while the
 * file lives, so a file put back from a backup holds fewer than the marker
 * says. */
static int own_count(xa_store *st, xa_node node, uint64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT COALESCE(SUM(seq), 0) FROM have WHERE node = ?1",
                                -1, &s, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, XA_NODE_TO_DB(node));
        rc = sqlite3_step(s);
    }
    if (rc == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "counting this PC's edits");
}

static int marker_write(xa_store *st, xa_node node, uint64_t count)
{
    char name[PATH_MAX + 16], tmp[PATH_MAX + 16], hex[XA_NODE_HEX + 1], machine[80], path[PATH_MAX];
    int fd, ok;

    char suffix[32];

    /* a name of this process's own: two writers never share a half-written
     * file */
    snprintf(suffix, sizeof(suffix), ".%ld.tmp", (long)getpid());
    if (marker_name(st, name, sizeof(name), "") < 0 ||
        marker_name(st, tmp, sizeof(tmp), suffix) < 0)
        return XA_EINVAL;
    xa_node_format(node, hex);
    machine_id(machine, sizeof(machine));
    db_realpath(st, path, sizeof(path));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return xa_error_set(XA_EIO,
                            "cannot write %s (the record of this PC's id beside its database):"
                            " %s",
                            name, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    ok = fprintf(f, "%s\nnode %s\ncount %llu\nmachine %s\npath %s\n", MARKER_MAGIC, hex,
                 (unsigned long long)count, machine, path) > 0;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fd) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, name) != 0) {
        int e = errno;
        unlink(tmp);
        return xa_error_set(XA_EIO,
                            "cannot write %s (the record of this PC's id beside its database):"
                            " %s",
                            name, strerror(e));
    }
    return 0;
}

/* Why the marker does not vouch for this file (0: it does). */
static xa_fork_why judge(xa_store *st, const marker *m, int have_marker, uint64_t count)
{
    char machine[80], path[PATH_MAX];

    if (!have_marker)
        return XA_FORK_NO_MARKER;
    if (m->node != st->node)
        return XA_FORK_OTHER_NODE;
    machine_id(machine, sizeof(machine));
    if (strcmp(machine, "-") != 0 && strcmp(m->machine, "-") != 0 &&
        strcmp(machine, m->machine) != 0)
        return XA_FORK_MACHINE;
    db_realpath(st, path, sizeof(path));
    if (strcmp(path, m->path) != 0)
        return XA_FORK_PATH;
    if (m->count > count)
        return XA_FORK_BEHIND;
    return XA_FORK_NONE;
}

int xa_incarnation_check(xa_store *st)
{
    marker m;
    uint64_t count = 0;
    xa_fork_why why;
    xa_node old = st->node, nu = 0;
    int rc;

    if (st->scope[0] == '\0')
        return 0; /* the district */
    rc = own_count(st, st->node, &count);
    if (rc < 0)
        return rc;
    why = judge(st, &m, marker_read(st, &m), count);
    if (why == XA_FORK_NONE)
        return 0;
    /* Decide again under the write lock: another process opening the same
     * file may have just done it. */
    rc = xa_db_exec(st, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    rc = xa_store_reload_node(st);
    if (rc == 0)
        rc = own_count(st, st->node, &count);
    if (rc == 0) {
        old = st->node;
        why = judge(st, &m, marker_read(st, &m), count);
    }
    if (rc == 0 && why != XA_FORK_NONE)
        rc = xa_store_new_node(st, &nu);
    /* the marker first: a crash before the commit costs one unused id */
    if (rc == 0)
        rc = marker_write(st, why != XA_FORK_NONE ? nu : old, 0);
    if (rc == 0)
        rc = xa_db_exec(st, "COMMIT");
    if (rc < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (why != XA_FORK_NONE) {
        st->node = nu;
        st->forked_from = old;
        st->fork_why = why;
    }
    st->marker_dirty = 0;
    return 0;
}

int xa_incarnation_note(xa_store *st)
{
    uint64_t count = 0;
    int rc;

    if (!st->marker_dirty || st->scope[0] == '\0')
        return 0;
    /* the edit is committed: a record left behind is only a smaller window
     * for the check, so a failure here is not the edit's */
    rc = own_count(st, st->node, &count);
    if (rc == 0)
        rc = marker_write(st, st->node, count);
    if (rc == 0)
        st->marker_dirty = 0;
    return rc;
}

void xa_incarnation_adopted(xa_store *st)
{
    uint64_t count = 0;

    /* after a move's commit: best effort (a marker left behind only costs
     * a new id at the next open) */
    if (st->scope[0] != '\0' && own_count(st, st->node, &count) == 0)
        marker_write(st, st->node, count);
}

xa_fork_why xa_store_forked(const xa_store *st, xa_node *old)
{
    if (old)
        *old = st->forked_from;
    return st->fork_why;
}
