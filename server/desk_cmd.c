/*
 * The district desk's commands (desk.h):
 *
 *   user add NAME --role officer|admin [--password-file FILE]
 *   user list [--json]
 *   user disable NAME
 *   deadline set FORM PERIOD YYYY-MM-DD   sent after the end of that day is late
 *
 * A password is typed on the terminal without echo (twice), or read from
 * the first line of a file; never taken from the command line, where any
 * user of the machine could read it (ps, shell history).
 */
#include "desk.h"
#include "district.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAXPOS 5

typedef struct ucli {
    const char *db, *role, *password_file;
    char dbbuf[4096];
    const char *pos[MAXPOS];
    int npos, json;
} ucli;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    fflush(stdout);
    fprintf(stderr, "xasync-district: %s\n", msg);
    return code;
}

static int parse(int argc, char **argv, ucli *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const char **slot = NULL;
        if (strcmp(a, "--json") == 0) {
            c->json = 1;
            continue;
        }
        if (strcmp(a, "--password") == 0 || strncmp(a, "--password=", 11) == 0)
            return fail(2, "mật khẩu không được đưa trên dòng lệnh; dùng --password-file FILE hoặc "
                           "gõ khi được hỏi / a password is never given on the command line; use "
                           "--password-file FILE or type it when asked");
        if (strncmp(a, "--db", 4) == 0 && (a[4] == '\0' || a[4] == '='))
            slot = &c->db, v = a[4] ? a + 5 : NULL;
        else if (strncmp(a, "--role", 6) == 0 && (a[6] == '\0' || a[6] == '='))
            slot = &c->role, v = a[6] ? a + 7 : NULL;
        else if (strncmp(a, "--password-file", 15) == 0 && (a[15] == '\0' || a[15] == '='))
            slot = &c->password_file, v = a[15] ? a + 16 : NULL;
        else if (strncmp(a, "--", 2) == 0)
            return fail(2, "unknown option '%s'; see `xasync-district --help`", a);
        if (slot) {
            if (v == NULL) {
                if (i + 1 >= argc)
                    return fail(2, "option %s needs a value", a);
                v = argv[++i];
            }
            *slot = v;
            continue;
        }
        if (c->npos >= MAXPOS)
            return fail(2, "too many arguments; see `xasync-district --help`");
        c->pos[c->npos++] = a;
    }
    return 0;
}

static int open_db(ucli *c, xa_store **st)
{
    const char *env = getenv("XASYNC_DISTRICT_DB"), *home = getenv("HOME");
    int rc;

    if (c->db == NULL && env && *env)
        c->db = env;
    if (c->db == NULL) {
        if (home == NULL || *home == '\0') {
            struct passwd *pw = getpwuid(geteuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (home == NULL)
            return fail(1, "cannot find the home folder; give --db PATH");
        snprintf(c->dbbuf, sizeof(c->dbbuf), "%s/.local/share/xasync/district.db", home);
        c->db = c->dbbuf;
    }
    rc = xa_store_open(st, c->db);
    if (rc == XA_ENOTFOUND)
        return fail(1, "no district database at %s; create one with `xasync-district init`", c->db);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    if (xa_store_scope(*st)[0] != '\0') {
        xa_store_close(*st);
        return fail(1, "%s is a commune PC's database, not the district's", c->db);
    }
    return 0;
}

/* One line from `f` into buf (the newline dropped); -1 if none, -2 if too long. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int ch;

    while ((ch = fgetc(f)) != EOF && ch != '\n') {
        if (n + 1 >= cap)
            return -2;
        buf[n++] = (char)ch;
    }
    if (ch == EOF && n == 0)
        return -1;
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

/* Typed on the terminal, without echo. */
static int prompt(FILE *tty, const char *what, char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    int fd = fileno(tty), r;

    fputs(what, stderr);
    fflush(stderr);
    if (tcgetattr(fd, &old) != 0)
        return -1;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    r = read_line(tty, buf, cap, len);
    tcsetattr(fd, TCSAFLUSH, &old);
    return r;
}

static int get_password(const ucli *c, char *pw, size_t cap, size_t *len)
{
    if (c->password_file) {
        FILE *f = fopen(c->password_file, "rb");
        int r;
        if (f == NULL)
            return fail(1, "không đọc được / cannot read %s", c->password_file);
        r = read_line(f, pw, cap, len);
        fclose(f);
        if (r == -2)
            return fail(1, "mật khẩu dài quá %d byte / the password is over %d bytes",
                        XA_DESK_PW_MAX, XA_DESK_PW_MAX);
        if (r < 0)
            *len = 0, pw[0] = '\0';
        return 0;
    }
    FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL || !isatty(fileno(tty))) {
        if (tty)
            fclose(tty);
        return fail(2, "không có màn hình để gõ mật khẩu; dùng --password-file FILE / no terminal "
                       "to type the password on; use --password-file FILE");
    }
    char again[XA_DESK_PW_MAX + 2];
    size_t alen = 0;
    int r = prompt(tty, "Mật khẩu / Password: ", pw, cap, len);
    if (r == 0)
        r = prompt(tty, "Nhập lại / Again: ", again, sizeof(again), &alen);
    fclose(tty);
    if (r == -2)
        return fail(1, "mật khẩu dài quá %d byte / the password is over %d bytes", XA_DESK_PW_MAX,
                    XA_DESK_PW_MAX);
    if (r < 0)
        return fail(1, "không đọc được mật khẩu / cannot read the password");
    if (alen != *len || memcmp(again, pw, alen) != 0)
        return fail(1, "hai lần gõ không khớp / the two passwords differ");
    return 0;
}

static int cmd_user(ucli *c)
{
    const char *sub = c->npos >= 2 ? c->pos[1] : "";
    xa_store *st = NULL;
    int rc;

    if (strcmp(sub, "add") == 0) {
        char pw[XA_DESK_PW_MAX + 2];
        size_t len = 0;
        if (c->npos != 3 || c->role == NULL)
            return fail(2, "usage: xasync-district user add NAME --role officer|admin "
                           "[--password-file FILE]");
        if (xa_desk_name_check(c->pos[2]) < 0)
            return fail(1, "%s", xa_error_last());
        if (strcmp(c->role, "officer") != 0 && strcmp(c->role, "admin") != 0)
            return fail(2, "--role là officer hoặc admin / --role is officer or admin");
        if (open_db(c, &st) != 0)
            return 1;
        rc = get_password(c, pw, sizeof(pw), &len);
        if (rc != 0) {
            xa_store_close(st);
            return rc;
        }
        rc = xa_desk_user_add(st, c->pos[2], c->role, pw, len);
        memset(pw, 0, sizeof(pw));
        xa_store_close(st);
        if (rc < 0)
            return fail(1, "%s", xa_error_last());
        printf("đã thêm / added: %s (%s)\n", c->pos[2], c->role);
        return 0;
    }
    if (strcmp(sub, "list") == 0 && c->npos == 2) {
        xa_desk_user *u = NULL;
        size_t n = 0;
        if (open_db(c, &st) != 0)
            return 1;
        rc = xa_desk_users(st, &u, &n);
        xa_store_close(st);
        if (rc < 0)
            return fail(1, "%s", xa_error_last());
        if (c->json) {
            cJSON *a = cJSON_CreateArray();
            for (size_t i = 0; i < n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", u[i].name);
                cJSON_AddStringToObject(o, "role", u[i].role);
                cJSON_AddBoolToObject(o, "disabled", u[i].disabled);
                cJSON_AddItemToArray(a, o);
            }
            char *s = cJSON_Print(a);
            puts(s ? s : "[]");
            free(s);
            cJSON_Delete(a);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%s\t%s\t%s\n", u[i].name, u[i].role,
                       u[i].disabled ? "đã khóa / disabled" : "hoạt động / active");
        }
        free(u);
        return 0;
    }
    if (strcmp(sub, "disable") == 0 && c->npos == 3) {
        if (open_db(c, &st) != 0)
            return 1;
        rc = xa_desk_user_disable(st, c->pos[2]);
        xa_store_close(st);
        if (rc < 0)
            return fail(1, "%s", xa_error_last());
        printf("đã khóa / disabled: %s (its sessions ended)\n", c->pos[2]);
        return 0;
    }
    return fail(2, "usage: xasync-district user add NAME --role officer|admin "
                   "[--password-file FILE] | user list [--json] | user disable NAME");
}

/* YYYY-MM-DD: the end of that day, local time, in ms. */
static int parse_day(const char *s, int64_t *ms)
{
    struct tm tm;
    int y, m, d;
    char extra;

    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 || d > 31 ||
        y < 2000 || y > 2200)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + 1;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000 - 1;
    return 0;
}

static int cmd_deadline(ucli *c)
{
    xa_store *st = NULL;
    xa_form f;
    int64_t due;
    int rc;

    if (c->npos != 5 || strcmp(c->pos[1], "set") != 0)
        return fail(2, "usage: xasync-district deadline set FORM PERIOD YYYY-MM-DD");
    if (parse_day(c->pos[4], &due) != 0)
        return fail(2, "hạn nộp là một ngày YYYY-MM-DD / the deadline is a day, YYYY-MM-DD");
    if (open_db(c, &st) != 0)
        return 1;
    rc = xa_form_get(st, XA_FORMS_SCOPE, c->pos[2], &f);
    if (rc == 0) {
        rc = xa_period_check(f.period_type, c->pos[3]);
        xa_form_free(&f);
    }
    if (rc == 0)
        rc = xa_desk_deadline_set(st, c->pos[2], c->pos[3], due);
    xa_store_close(st);
    if (rc < 0)
        return fail(1, "%s", xa_error_last());
    printf("hạn nộp / deadline: %s %s %s (sent after that day is late)\n", c->pos[2], c->pos[3],
           c->pos[4]);
    return 0;
}

int xa_desk_cmd(int argc, char **argv)
{
    const char *cmd = NULL;
    ucli c;

    for (int i = 1; i < argc && cmd == NULL; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--") == 0)
            return -1;
        if (strcmp(argv[i], "--db") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        cmd = argv[i];
    }
    if (cmd == NULL || (strcmp(cmd, "user") != 0 && strcmp(cmd, "deadline") != 0))
        return -1;
    memset(&c, 0, sizeof(c));
    if (parse(argc, argv, &c) != 0)
        return 2;
    return strcmp(cmd, "user") == 0 ? cmd_user(&c) : cmd_deadline(&c);
}
