/*
 * JSON views of fields for people and programs: `xasync get/show --json` on
 * a PC and the district server's state pages print the same shape.
 *
 *   {"entity": E, "field": F, "conflict": bool,
 *    "values": [{"value": V, "author": A, "time": ISO-8601 UTC,
 *                "hlc": ms, "node": hex, "seq": n}, ...]}
 * Values come front first.  Every function returns a malloc'd string the
 * caller frees, or NULL when out of memory.
 */
#ifndef XASYNC_VIEW_H
#define XASYNC_VIEW_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

char *xa_view_field(const xa_field *f, int pretty);
char *xa_view_fields(const xa_field *f, size_t n, int pretty);

/* A value as a person reads it: a JSON string's text, else the JSON. */
char *xa_view_text(const char *json);
/* The same on one line: newline, tab and CR shown as \n, \t, \r. */
char *xa_view_oneline(const char *json);

/* The HTTP status that tells an XA_E* refusal, the same in the district
 * server and the clerk's editor: 400 bad input, 403 not allowed, 404 not
 * found, 409 a conflict, gap or reused dot, 413 over a stated limit, 503
 * try again later, 500 anything else. */
unsigned xa_http_status(int rc);

/* "2026-11-26T10:42:00.123Z" */
void xa_view_time_iso(int64_t ms, char *buf, size_t cap);

#endif
