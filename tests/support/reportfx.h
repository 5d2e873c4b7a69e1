/*
 * The commune report's test harness (tests/report/test_report_{local,net,
 * refusals}.c): the real `xasync report …` and `xasync-district` processes
 * on real database files, with the seed report
 * tests/fixtures/bao-cao-so-ket-6-thang-2024.txt.
 *
 * Cast: office PCs A (a.db) and B (b.db) of commune hoang-kim, PC C (c.db)
 * of commune hoang-phu, and commune hoang-xuyen, which never reports.  The
 * tests that need no network have a temporary folder with a.db only; the
 * others also have a district database and a server on a loopback port
 * chosen by the OS, stopped by PID in the teardown (which cmocka runs also
 * when a test fails).  Include after <cmocka.h>.
 */
#ifndef XA_TEST_REPORTFX_H
#define XA_TEST_REPORTFX_H

#include "support.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define KIM "hoang-kim"
#define PHU "hoang-phu"
#define XUYEN "hoang-xuyen"
#define AUTHOR_A "Lê Thị Lan"
#define AUTHOR_B "Nguyễn Văn Bình"
#define REPORT "report-2024-h1"
#define MOTTO "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#define CONFLICT "XUNG ĐỘT"
#define H21_TEXT "Kết quả thực hiện các phong trào thi đua do Thủ tướng Chính phủ phát động"

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct xr_fx {
    char *dir;
    char *home;     /* "HOME=dir" */
    char *author_a; /* "XASYNC_AUTHOR=…" of PC A (and C) */
    char *author_b; /* "XASYNC_AUTHOR=…" of PC B */
    char *a;        /* dir/a.db: PC A of hoang-kim */
    char *b;        /* dir/b.db: PC B of hoang-kim (network tests) */
    char *c;        /* dir/c.db: PC C of hoang-phu (network tests) */
    char *ddb;      /* dir/district.db (network tests) */
    xt_server srv;
} xr_fx;

xr_fx *xr_fx_new(void);

xt_run xr_xa_env(const xr_fx *f, const char *author, const char *const *argv);

/* `xasync` as PC A's clerk (PC C's too). */
xt_run xr_xa(const xr_fx *f, const char *const *argv);

/* The one database of the local tests: a.db for hoang-kim. */
int xr_setup_local(void **state);

/* A district with three communes, its server, PCs A and B of hoang-kim and
 * PC C of hoang-phu; hoang-xuyen has no PC. */
int xr_setup_net(void **state);

int xr_teardown(void **state);

void xr_ok_at(const xt_run *r, const char *what, const char *file, int line);

#define MUST_OK(r, what) xr_ok_at(&(r), (what), __FILE__, __LINE__)

/* The words of a command line, for messages. */
void xr_argv_text(const char *const *argv, char *buf, size_t cap);

/* Run `xasync ARGV` as `author`, require exit 0, return stdout (caller
 * frees). */
char *
xr_out_at(const xr_fx *f, const char *author, const char *const *argv, const char *file, int line);

#define XA_OUT(f, ...) xr_out_at((f), (f)->author_a, ARGV(__VA_ARGS__), __FILE__, __LINE__)
#define XB_OUT(f, ...) xr_out_at((f), (f)->author_b, ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* A command that must succeed and whose output does not matter. */
#define XA_DO(f, ...) free(XA_OUT(f, __VA_ARGS__))
#define XB_DO(f, ...) free(XB_OUT(f, __VA_ARGS__))

char *xr_district_out_at(const xr_fx *f, const char *const *argv, const char *file, int line);

#define DISTRICT_OUT(f, ...) xr_district_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync --db DB report export [--format F]` (caller frees). */
#define EXPORT(f, db) XA_OUT(f, "--db", (db), "report", "export")

void xr_sync_at(const xr_fx *f, const char *db, const char *file, int line);

#define SYNC(f, db) xr_sync_at((f), (db), __FILE__, __LINE__)

/* Counts of the import's summary line. */
typedef struct xr_counts {
    unsigned long headings, paras, bullets, tables, rows, cells;
} xr_counts;

/* `report import FILE` on `db`: exit 0, no
 * warning, the counts it printed. */
xr_counts xr_import_at(const xr_fx *f, const char *db, const char *file, const char *src, int line);

#define IMPORT_SEED(f, db) xr_import_at((f), (db), XA_SEED_REPORT, __FILE__, __LINE__)

/* A failing command: exit `code`, one line "xasync: …" on stderr naming
 * `needle`, nothing on stdout, and `db` unchanged. */
void xr_fails_at(const xr_fx *f,
                 const char *db,
                 const char *const *argv,
                 int code,
                 const char *needle,
                 const char *file,
                 int line);

#define FAILS(f, db, code, needle, ...)                                                            \
    xr_fails_at((f), (db), ARGV(__VA_ARGS__), (code), (needle), __FILE__, __LINE__)

/* One line of a text, normalized: runs of spaces and tabs made one space,
 * trimmed; `src` is its line number in the text (from 1). */
typedef struct xr_nline {
    char *s;
    size_t src;
} xr_nline;

typedef struct xr_nlines {
    xr_nline *v;
    size_t n;
} xr_nlines;

/* The non-blank lines of `text`, normalized. */
xr_nlines xr_normalize(const char *text);

void xr_nlines_free(xr_nlines *l);

/* `got` has the same lines as `want`, up to blank lines and spaces; fails
 * naming the first line that differs. */
void xr_same_text_at(const char *want,
                     const char *got,
                     const char *wname,
                     const char *gname,
                     const char *file,
                     int line);

#define SAME_TEXT(want, got, wname, gname)                                                         \
    xr_same_text_at((want), (got), (wname), (gname), __FILE__, __LINE__)

/* The first line of `text` that starts with `prefix` (malloc'd), or NULL. */
char *xr_line_starting(const char *text, const char *prefix);

/* The first line of `text` that holds `needle` (malloc'd), or NULL. */
char *xr_line_with(const char *text, const char *needle);

/* Cell `k` (from 0) of a tab-separated line, into buf. */
const char *xr_cell(const char *ln, int k, char *buf, size_t cap);

/* The table line of indicator `tt` in a text export (malloc'd); fails if
 * there is none. */
char *xr_row_line_at(const char *text, const char *tt, int line);

#define ROW_LINE(text, tt) xr_row_line_at((text), (tt), __LINE__)

/* A figure in the Vietnamese format ("1.336,4") as a number; fails on
 * anything else. */
double xr_vn_value(const char *s);

cJSON *xr_parse_at(const char *text, int want_array, const char *what, int line);

#define PARSE_OBJECT(text, what) xr_parse_at((text), 0, (what), __LINE__)
#define PARSE_ARRAY(text, what) xr_parse_at((text), 1, (what), __LINE__)

const char *xr_jstr(const cJSON *o, const char *name);

/* `report export --format json` of `db`, parsed (caller deletes). */
cJSON *xr_export_json(const xr_fx *f, const char *db);

/* The entity of the first live block of `kind` (with tt `tt` for a row),
 * from a parsed JSON export: "report-2024-h1/b/ID" into buf. */
const char *
xr_block_entity(const cJSON *doc, const char *kind, const char *tt, char *buf, size_t cap);

/* Does the check's JSON array name `where`? */
int xr_flagged(const cJSON *arr, const char *where);

char *xr_seed_text(void);

/* cmocka tests with a.db alone, or with the district, its server and PCs. */
#define XR_LOCAL(t) cmocka_unit_test_setup_teardown(t, xr_setup_local, xr_teardown)
#define XR_NET(t) cmocka_unit_test_setup_teardown(t, xr_setup_net, xr_teardown)

#endif
