/*
 * The last-error message: one thread-local buffer, written where an error
 * starts and read by whoever reports it.
 */
#include "xasync/error.h"

#include <stdarg.h>
#include <stdio.h>

#define XA_ERRMSG_MAX 512

static _Thread_local char errmsg[XA_ERRMSG_MAX];

int xa_error_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
    va_end(ap);
    return code;
}

const char *xa_error_last(void)
{
    return errmsg;
}

const char *xa_error_name(int code)
{
    switch (code) {
    case XA_OK:
        return "OK";
    case XA_ENOMEM:
        return "ENOMEM";
    case XA_EINVAL:
        return "EINVAL";
    case XA_ENOTFOUND:
        return "ENOTFOUND";
    case XA_ECONFLICT:
        return "ECONFLICT";
    case XA_EBUSY:
        return "EBUSY";
    case XA_ETRANSIENT:
        return "ETRANSIENT";
    case XA_EIO:
        return "EIO";
    case XA_ECORRUPT:
        return "ECORRUPT";
    case XA_EAUTH:
        return "EAUTH";
    case XA_EEXISTS:
        return "EEXISTS";
    case XA_EGAP:
        return "EGAP";
    case XA_EFORGED:
        return "EFORGED";
    case XA_ESCOPE:
        return "ESCOPE";
    case XA_ENOTXA:
        return "ENOTXA";
    case XA_ETOOBIG:
        return "ETOOBIG";
    default:
        return "EUNKNOWN";
    }
}
