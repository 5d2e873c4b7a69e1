/*
 * The rollup tests' harness (tests/report/test_rollup_*.c): a district of
 * seven communes and its server on a loopback port, the real `xasync` and
 * `xasync-district` run with their refusals checked (a one-line message,
 * the exit code, the database unchanged), the seed report's table edited
 * as the communes' reports differ, the district's form made from the seed,
 * and readers of the rollup document.  Include after <cmocka.h>.
 */
#ifndef XA_TEST_ROLLUPFX_H
#define XA_TEST_ROLLUPFX_H

#include "support.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define FORM "sk6-2024"
#define NBSP "\xc2\xa0"

typedef struct xu_fx {
    char *dir, *ddb;
    xt_server srv;
} xu_fx;

/* The seven communes. */
static const struct commune {
    const char *scope, *name;
} C[] = {
    {"xa-an", "Xã An"}, {"xa-binh", "Xã Bình"}, {"xa-cuong", "Xã Cường"}, {"xa-dong", "Xã Đông"},
    {"xa-en", "Xã Én"}, {"xa-phu", "Xã Phú"},   {"xa-giang", "Xã Giang"},
};
#define NC (sizeof(C) / sizeof(C[0]))

char *xu_pc(const xu_fx *f, const char *name);

char *xu_ok_at(xt_run r, const char *what, int line);

#define X_OK(...) free(xu_ok_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__))
#define X_OUT(...) xu_ok_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__)
#define D_OK(...) free(xu_ok_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__))
#define D_OUT(...) xu_ok_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), #__VA_ARGS__, __LINE__)

/* A refusal: exit `code`, `needle` in the one-line message, `db` unchanged. */
void xu_refused_at(
    xt_run r, const char *db, uint64_t before, int code, const char *needle, int line);

#define X_REFUSED(db, code, needle, ...)                                                           \
    do {                                                                                           \
        uint64_t before_ = xt_db_digest(db);                                                       \
        xu_refused_at(xt_xasync(ARGV(__VA_ARGS__), NULL, NULL), (db), before_, (code), (needle),   \
                      __LINE__);                                                                   \
    } while (0)

#define D_REFUSED(db, code, needle, ...)                                                           \
    do {                                                                                           \
        uint64_t before_ = xt_db_digest(db);                                                       \
        xu_refused_at(xt_district(ARGV(__VA_ARGS__), NULL, NULL), (db), before_, (code), (needle), \
                      __LINE__);                                                                   \
    } while (0)

void xu_sync_pc(const char *db);

/* The start of the table line whose first cell is `tt`. */
char *xu_row_start(char *text, const char *tt);

/* text with cell `col` (0 = TT) of row `tt` replaced by `val` (frees text). */
char *xu_row_set(char *text, const char *tt, int col, const char *val);

/* text with `line` (no newline) put after row `tt` (frees text). */
char *xu_row_insert_after(char *text, const char *tt, const char *line);

/* text with the lines of rows a and b (a before b, adjacent) swapped. */
char *xu_row_swap(char *text, const char *a, const char *b);

char *xu_seed(void);

char *xu_write_report(const xu_fx *f, const char *name, const char *text);

/* The entity of row `tt` of a PC's report (from its JSON export). */
char *xu_row_entity(const char *db, const char *report, const char *tt);

int xu_setup(void **state);

int xu_teardown(void **state);

/* The seed made into the district's form, then edited as the district
 * decides: row 9 (Chi ngân sách) is money added up, not a %; grain may come
 * in tạ or kg; winter crops in m². */
void xu_make_form(xu_fx *f);

const cJSON *xu_indicator(const cJSON *doc, const char *code);

void xu_district_is(const cJSON *doc,
                    const char *code,
                    const char *col,
                    const char *value,
                    const char *text,
                    int n,
                    int line);

#define DISTRICT_IS(doc, code, col, value, text, n)                                                \
    xu_district_is((doc), (code), (col), (value), (text), (n), __LINE__)

/* The exclusion of `scope`'s figure of `code` for `reason` (NULL if none). */
const cJSON *xu_excluded(const cJSON *doc, const char *code, const char *scope, const char *reason);

/* Exact tenths, as the test adds them itself. */
void xu_tenths(long long t, char *value, char *text);

#endif
