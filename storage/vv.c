/*
 * Version vectors: a sorted array of (node, seq), no zero seqs, no duplicate
 * nodes.  Lookups are binary searches; vectors are small (one entry per PC
 * that ever wrote a scope).
 *
 * Text form (storage only): "node:seq,node:seq", 16 lowercase hex digits for
 * the node, decimal seq, sorted by node.  The empty vector is "".
 */
#include "xasync/vv.h"

#include "xasync/error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void xa_vv_free(xa_vv *vv)
{
    free(vv->e);
    vv->e = NULL;
    vv->n = vv->cap = 0;
}

void xa_vv_clear(xa_vv *vv)
{
    vv->n = 0;
}

/* Index of node, or of where it would go. */
static size_t find(const xa_vv *vv, xa_node node, int *found)
{
    size_t lo = 0, hi = vv->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vv->e[mid].node < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < vv->n && vv->e[lo].node == node;
    return lo;
}

uint64_t xa_vv_get(const xa_vv *vv, xa_node node)
{
    int found;
    size_t i = find(vv, node, &found);

    return found ? vv->e[i].seq : 0;
}

int xa_vv_set(xa_vv *vv, xa_node node, uint64_t seq)
{
    int found;
    size_t i = find(vv, node, &found);

    if (found) {
        if (seq == 0) {
            memmove(&vv->e[i], &vv->e[i + 1], (vv->n - i - 1) * sizeof(vv->e[0]));
            vv->n--;
        } else {
            vv->e[i].seq = seq;
        }
        return 0;
    }
    if (seq == 0)
        return 0;
    if (vv->n >= XA_VV_MAX)
        return xa_error_set(XA_ETOOBIG, "version vector over %d nodes", XA_VV_MAX);
    if (vv->n == vv->cap) {
        size_t cap = vv->cap ? vv->cap * 2 : 4;
        xa_dot *e = realloc(vv->e, cap * sizeof(*e));
        if (e == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        vv->e = e;
        vv->cap = cap;
    }
    memmove(&vv->e[i + 1], &vv->e[i], (vv->n - i) * sizeof(vv->e[0]));
    vv->e[i].node = node;
    vv->e[i].seq = seq;
    vv->n++;
    return 0;
}

int xa_vv_bump(xa_vv *vv, xa_node node, uint64_t seq)
{
    if (seq <= xa_vv_get(vv, node))
        return 0;
    return xa_vv_set(vv, node, seq);
}

int xa_vv_merge(xa_vv *dst, const xa_vv *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = xa_vv_bump(dst, src->e[i].node, src->e[i].seq);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int xa_vv_copy(xa_vv *dst, const xa_vv *src)
{
    if (dst == src)
        return 0;
    if (dst->cap < src->n) {
        xa_dot *e = realloc(dst->e, src->n * sizeof(*e));
        if (e == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        dst->e = e;
        dst->cap = src->n;
    }
    if (src->n)
        memcpy(dst->e, src->e, src->n * sizeof(*src->e));
    dst->n = src->n;
    return 0;
}

int xa_vv_covers(const xa_vv *vv, xa_dot d)
{
    return d.seq <= xa_vv_get(vv, d.node);
}

int xa_vv_equal(const xa_vv *a, const xa_vv *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->e[i].node != b->e[i].node || a->e[i].seq != b->e[i].seq)
            return 0;
    return 1;
}

void xa_node_format(xa_node node, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (int i = XA_NODE_HEX - 1; i >= 0; i--) {
        out[i] = hex[node & 0xf];
        node >>= 4;
    }
    out[XA_NODE_HEX] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse exactly 16 hex digits at s; 0 on success. */
static int parse_node16(const char *s, xa_node *out)
{
    xa_node v = 0;

    for (int i = 0; i < XA_NODE_HEX; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (xa_node)h;
    }
    if (v == 0)
        return -1;
    *out = v;
    return 0;
}

int xa_node_parse(const char *s, xa_node *out)
{
    xa_node v;

    if (s == NULL || strlen(s) != XA_NODE_HEX || parse_node16(s, &v) != 0)
        return xa_error_set(XA_EINVAL, "invalid node id '%.40s': want 16 hex digits, not all zero",
                            s ? s : "");
    *out = v;
    return 0;
}

char *xa_vv_format(const xa_vv *vv)
{
    /* 16 hex + ':' + up to 16 digits + ',' per entry */
    size_t cap = vv->n * (XA_NODE_HEX + 1 + 20 + 1) + 1;
    char *s = malloc(cap);
    size_t off = 0;

    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < vv->n; i++) {
        char node[XA_NODE_HEX + 1];
        char digits[24];
        size_t nd = 0;
        uint64_t q = vv->e[i].seq;

        if (i)
            s[off++] = ',';
        xa_node_format(vv->e[i].node, node);
        memcpy(s + off, node, XA_NODE_HEX);
        off += XA_NODE_HEX;
        s[off++] = ':';
        do {
            digits[nd++] = (char)('0' + q % 10);
            q /= 10;
        } while (q);
        while (nd)
            s[off++] = digits[--nd];
        assert(off < cap);
    }
    s[off] = '\0';
    return s;
}

int xa_vv_parse(const char *s, xa_vv *out)
{
    xa_vv vv = XA_VV_INIT;
    const char *p = s;

    if (*p == '\0')
        goto ok;
    for (;;) {
        xa_node node;
        uint64_t seq = 0;
        int nd = 0;

        if (strlen(p) < XA_NODE_HEX + 2 || parse_node16(p, &node) != 0 || p[XA_NODE_HEX] != ':')
            goto bad;
        p += XA_NODE_HEX + 1;
        while (*p >= '0' && *p <= '9') {
            if (nd == 0 && *p == '0')
                goto bad; /* no leading zeros, no seq 0 */
            seq = seq * 10 + (uint64_t)(*p - '0');
            if (++nd > 16 || seq >= XA_SEQ_MAX)
                goto bad;
            p++;
        }
        if (nd == 0)
            goto bad;
        if (vv.n && vv.e[vv.n - 1].node >= node)
            goto bad; /* unsorted or duplicate */
        int rc = xa_vv_set(&vv, node, seq);
        if (rc < 0) {
            xa_vv_free(&vv);
            return rc;
        }
        if (*p == '\0')
            break;
        if (*p != ',' || p[1] == '\0')
            goto bad;
        p++;
    }
ok:
    xa_vv_free(out);
    *out = vv;
    return 0;
bad:
    xa_vv_free(&vv);
    return xa_error_set(XA_ECORRUPT, "malformed version vector '%.60s'", s);
}
