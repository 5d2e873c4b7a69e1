/*
 * Checks on every name and value that enters the store, local or received:
 * the stated limits of store.h and strict UTF-8.  Each failure names the
 * problem in words a clerk can act on.
 */
#include "xasync/error.h"
#include "xasync/store.h"

#include <stdint.h>
#include <string.h>

int xa_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Every byte of s in the set described by `extra` plus ASCII letters and
 * digits (lowercase only when `lower`). */
static int charset_ok(const char *s, const char *extra, int lower)
{
    for (const char *p = s; *p; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if (!lower && c >= 'A' && c <= 'Z')
            continue;
        if (strchr(extra, c) == NULL)
            return 0;
    }
    return 1;
}

int xa_check_scope(const char *scope)
{
    size_t n = scope ? strlen(scope) : 0;

    if (n == 0 || n > XA_SCOPE_MAX || !charset_ok(scope, "-", 1) || scope[0] == '-')
        return xa_error_set(XA_EINVAL,
                            "invalid scope '%.80s': use 1 to %d lowercase letters, digits or '-'"
                            " (for example hoang-kim)",
                            scope ? scope : "", XA_SCOPE_MAX);
    return 0;
}

int xa_check_entity(const char *entity)
{
    size_t n = entity ? strlen(entity) : 0;

    if (n == 0 || n > XA_ENTITY_MAX || !charset_ok(entity, "._:/-", 0))
        return xa_error_set(XA_EINVAL,
                            "invalid entity name '%.80s': use 1 to %d letters, digits or . _ : / -",
                            entity ? entity : "", XA_ENTITY_MAX);
    return 0;
}

int xa_check_field(const char *field)
{
    size_t n = field ? strlen(field) : 0;

    if (n == 0 || n > XA_FIELD_MAX || !charset_ok(field, "._-", 0))
        return xa_error_set(XA_EINVAL,
                            "invalid field name '%.80s': use 1 to %d letters, digits or . _ -",
                            field ? field : "", XA_FIELD_MAX);
    return 0;
}

int xa_check_author(const char *author)
{
    size_t n = author ? strlen(author) : 0;

    if (n == 0)
        return xa_error_set(XA_EINVAL, "the author is empty");
    if (n > XA_AUTHOR_MAX)
        return xa_error_set(XA_EINVAL, "author name too long: %zu bytes, limit %d", n,
                            XA_AUTHOR_MAX);
    if (!xa_utf8_valid(author, n))
        return xa_error_set(XA_EINVAL, "the author name is not valid UTF-8");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)author[i] < 0x20 || author[i] == 0x7f)
            return xa_error_set(XA_EINVAL, "the author name holds a control character");
    return 0;
}

int xa_check_value(const char *json, size_t len)
{
    if (len > XA_VALUE_MAX)
        return xa_error_set(XA_ETOOBIG, "value too large: %zu bytes, limit %d bytes", len,
                            XA_VALUE_MAX);
    if (!xa_utf8_valid(json, len))
        return xa_error_set(XA_EINVAL, "the value is not valid UTF-8");
    if (memchr(json, '\0', len) != NULL)
        return xa_error_set(XA_EINVAL, "the value holds a NUL byte");
    return 0;
}
