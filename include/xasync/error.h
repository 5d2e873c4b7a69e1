/*
 * xasync error codes and the last-error message.
 *
 * Every fallible xasync function returns int: 0 on success or a negative
 * XA_E* code.  The human-readable message is set once, where the error
 * starts, with xa_error_set(), and read with xa_error_last().  The message is
 * thread-local and stays valid until the next xa_error_set() on that thread.
 */
#ifndef XASYNC_ERROR_H
#define XASYNC_ERROR_H

enum {
    XA_OK = 0,
    XA_ENOMEM = -1,     /* out of memory */
    XA_EINVAL = -2,     /* bad input from outside: a name, a value, a file */
    XA_ENOTFOUND = -3,  /* no such database, field or entity */
    XA_ECONFLICT = -4,  /* the field holds concurrent values */
    XA_EBUSY = -5,      /* the database is locked by someone else too long */
    XA_ETRANSIENT = -6, /* may work if tried again later (network) */
    XA_EIO = -7,        /* the disk or the OS failed */
    XA_ECORRUPT = -8,   /* stored or received data contradicts itself */
    XA_EAUTH = -9,      /* not allowed */
    XA_EEXISTS = -10,   /* would overwrite something that exists */
    XA_EGAP = -11,      /* an op would leave a gap in a node's seqs */
    XA_EFORGED = -12,   /* an op reuses a dot with different content */
    XA_ESCOPE = -13,    /* an op or file of another scope */
    XA_ENOTXA = -14,    /* a file that is not an xasync database */
    XA_ETOOBIG = -15,   /* larger than a stated limit */
};

/* Set the last error message (printf-style) and return code, so that a
 * caller can write `return xa_error_set(XA_EINVAL, "...")`. */
int xa_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the last error on this thread; "" if none.  Borrowed: valid
 * until the next xa_error_set() on this thread. */
const char *xa_error_last(void);

/* A short constant name for a code: "EINVAL", ... */
const char *xa_error_name(int code);

#endif
