/*
 * Chain digests: what a replica holds of each node, by content, not only
 * by count (issue 11, "dots that cannot be reused unseen").
 *
 * A node's chain at seq s is a hash over its ops 1..s in order, each op in a
 * canonical form (seq, entity, field, value, context, clock, author, each
 * with its length), chained like git's commits: c(s) = H(c(s-1) || op s).
 * Two replicas that hold node X up to s hold the same ops under X's dots
 * exactly when their chains at s are equal.  A PC restored from a backup or
 * copied to another machine writes new ops under dots another replica holds
 * with other content: their chains differ from that seq on.
 *
 * The hash is two FNV-1a 64 lanes (128 bits) over the same bytes: it finds
 * accidents (a restore, a copy), not a forger with the commune's token,
 * whose ops are refused anyway where they meet (forgery, causal delivery).
 *
 * An ops file carries, per node, the chain at the exporter's last seq and
 * at seqs below it (the last 64, then every power of two further back), so
 * the receiver finds the last seq both hold alike within a few ops.
 */
#include "store_int.h"
#include "xasync/error.h"
#include "xasync/syncstate.h"

#include <stdlib.h>
#include <string.h>

#define FNV_PRIME 0x100000001b3ULL

/* Two FNV-1a 64 lanes over the same bytes (store_int.h). */
void xa_hash_feed(uint64_t h[2], const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h[0] = (h[0] ^ b[i]) * FNV_PRIME;
        h[1] = (h[1] ^ b[i]) * FNV_PRIME;
    }
}

void xa_hash_feed_u64(uint64_t h[2], uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    xa_hash_feed(h, b, 8);
}

void xa_hash_feed_col(uint64_t h[2], sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);

    xa_hash_feed_u64(h, n);
    xa_hash_feed(h, t ? t : (const unsigned char *)"", n);
}

void xa_chains_free(xa_chains *c)
{
    free(c->p);
    free(c->mv);
    memset(c, 0, sizeof(*c));
}

int xa_chains_add(xa_chains *c, xa_node node, uint64_t seq, const uint64_t d[2])
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        xa_chain_point *p = realloc(c->p, cap * sizeof(*p));
        if (p == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        c->p = p;
        c->cap = cap;
    }
    c->p[c->n].node = node;
    c->p[c->n].seq = seq;
    c->p[c->n].d[0] = d[0];
    c->p[c->n].d[1] = d[1];
    c->n++;
    return 0;
}

int xa_chains_add_move(xa_chains *c, xa_node old, uint64_t keep, xa_node nu)
{
    if (c->nmv == c->capmv) {
        size_t cap = c->capmv ? c->capmv * 2 : 8;
        xa_move *m = realloc(c->mv, cap * sizeof(*m));
        if (m == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        c->mv = m;
        c->capmv = cap;
    }
    c->mv[c->nmv++] = (xa_move){old, keep, nu};
    return 0;
}

/* 1 if seq is a checkpoint below `top`: the last 64, then top - 64 - 2^j. */
static int checkpoint(uint64_t top, uint64_t seq)
{
    uint64_t back = top - seq;

    if (back < 64)
        return 1;
    back -= 64;
    return back && (back & (back - 1)) == 0;
}

/*
 * The chain of `node` at every checkpoint below `top` (all: `want` NULL), or
 * at the seqs `want` lists (sorted ascending; out[i] for want[i], 0 digests
 * when the journal lacks that history).  Returns XA_ENOTFOUND when the
 * journal lacks the node's first ops (a replica that started from a
 * snapshot): no chain can be computed then.
 */
static int node_chain(xa_store *st,
                      const char *scope,
                      xa_node node,
                      uint64_t top,
                      xa_chains *all,
                      const uint64_t *want,
                      size_t nwant,
                      uint64_t (*out)[2])
{
    sqlite3_stmt *s = NULL;
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL}, expect = 1;
    size_t w = 0;
    int rc, step = SQLITE_DONE;

    rc = sqlite3_prepare_v2(st->db,
                            "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
                            " WHERE scope = ?1 AND node = ?2 AND seq <= ?3 ORDER BY seq",
                            -1, &s, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return xa_db_error(st, rc, "reading the journal");
    }
    rc = 0;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
    sqlite3_bind_int64(s, 3, (sqlite3_int64)top);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
        if (seq != expect) {
            rc = XA_ENOTFOUND; /* history below a snapshot's base */
            break;
        }
        expect++;
        xa_hash_feed_u64(h, seq);
        for (int c = 1; c <= 4; c++)
            xa_hash_feed_col(h, s, c);
        xa_hash_feed_u64(h, (uint64_t)sqlite3_column_int64(s, 5));
        xa_hash_feed_col(h, s, 6);
        if (all && checkpoint(top, seq))
            rc = xa_chains_add(all, node, seq, h);
        while (want && w < nwant && want[w] <= seq) {
            if (want[w] == seq) {
                out[w][0] = h[0];
                out[w][1] = h[1];
            }
            w++;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading the journal");
    if (rc == 0 && expect != top + 1)
        rc = XA_ENOTFOUND;
    sqlite3_finalize(s);
    return rc;
}

static int moves(xa_store *st, const char *scope, xa_chains *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT old, keep, nu FROM rekey WHERE scope = ?1", -1, &s,
                                NULL),
        step = SQLITE_DONE;

    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return xa_db_error(st, rc, "reading the moves to new node ids");
    }
    rc = 0;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = xa_chains_add_move(out, XA_NODE_FROM_DB(sqlite3_column_int64(s, 0)),
                                (uint64_t)sqlite3_column_int64(s, 1),
                                XA_NODE_FROM_DB(sqlite3_column_int64(s, 2)));
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading the moves to new node ids");
    sqlite3_finalize(s);
    return rc;
}

int xa_store_chains(xa_store *st, const char *scope, xa_chains *out)
{
    xa_vv have = XA_VV_INIT;
    int rc = xa_store_have(st, scope, &have);

    for (size_t i = 0; rc == 0 && i < have.n; i++) {
        size_t mark = out->n;
        rc = node_chain(st, scope, have.e[i].node, have.e[i].seq, out, NULL, 0, NULL);
        if (rc == XA_ENOTFOUND) {
            out->n = mark; /* no chain for a node whose history is not held */
            rc = 0;
        }
    }
    xa_vv_free(&have);
    if (rc == 0)
        rc = moves(st, scope, out);
    return rc;
}

int xa_store_chains_compare(
    xa_store *st, const char *scope, const xa_chains *theirs, xa_node *node_out, uint64_t *keep_out)
{
    xa_vv have = XA_VV_INIT;
    int rc = xa_store_have(st, scope, &have);
    size_t i = 0;

    *node_out = 0;
    *keep_out = 0;
    while (rc == 0 && i < theirs->n) {
        xa_node node = theirs->p[i].node;
        size_t j = i, k = 0;
        uint64_t held = xa_vv_get(&have, node), *want;
        uint64_t(*mine)[2];

        while (j < theirs->n && theirs->p[j].node == node)
            j++;
        want = malloc((j - i) * sizeof(*want));
        mine = calloc(j - i, sizeof(*mine));
        if (want == NULL || mine == NULL) {
            free(want);
            free(mine);
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        /* their checkpoints this replica holds too, ascending */
        for (size_t m = i; m < j; m++)
            if (theirs->p[m].seq <= held && (k == 0 || theirs->p[m].seq > want[k - 1]))
                want[k++] = theirs->p[m].seq;
        if (k) {
            int r = node_chain(st, scope, node, want[k - 1], NULL, want, k, mine);
            if (r == 0) {
                uint64_t keep = 0;
                int differ = 0;
                for (size_t m = i; m < j; m++) {
                    size_t at = 0;
                    while (at < k && want[at] != theirs->p[m].seq)
                        at++;
                    if (at == k)
                        continue;
                    if (mine[at][0] == theirs->p[m].d[0] && mine[at][1] == theirs->p[m].d[1]) {
                        if (theirs->p[m].seq > keep)
                            keep = theirs->p[m].seq;
                    } else {
                        differ = 1;
                    }
                }
                if (differ && *node_out == 0) {
                    *node_out = node;
                    *keep_out = keep;
                }
            } else if (r != XA_ENOTFOUND) {
                rc = r;
            }
        }
        free(want);
        free(mine);
        i = j;
    }
    xa_vv_free(&have);
    return rc;
}

int xa_store_meet(xa_store *st,
                  const char *scope,
                  const xa_chains *theirs,
                  const xa_op *ops,
                  size_t nops,
                  xa_meet *out)
{
    xa_vv acked = XA_VV_INIT;
    xa_chains mine = {0};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    /* the other replica's moves are remembered here (and passed on), so
     * that the moved ops never come back under their old dots, even to a
     * PC restored from a backup older than the move */
    if (theirs->nmv) {
        sqlite3_stmt *ins = NULL;
        rc = xa_store_begin(st);
        if (rc == 0 && sqlite3_prepare_v2(st->db,
                                          "INSERT OR IGNORE INTO rekey(scope, old, keep, nu)"
                                          " VALUES (?1, ?2, ?3, ?4)",
                                          -1, &ins, NULL) != SQLITE_OK)
            rc = xa_db_error(st, sqlite3_errcode(st->db), "recording moves to new node ids");
        for (size_t i = 0; rc == 0 && i < theirs->nmv; i++) {
            sqlite3_reset(ins);
            sqlite3_bind_text(ins, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, XA_NODE_TO_DB(theirs->mv[i].old));
            sqlite3_bind_int64(ins, 3, (sqlite3_int64)theirs->mv[i].keep);
            sqlite3_bind_int64(ins, 4, XA_NODE_TO_DB(theirs->mv[i].nu));
            int step = sqlite3_step(ins);
            if (step != SQLITE_DONE)
                rc = xa_db_error(st, step, "recording moves to new node ids");
        }
        sqlite3_finalize(ins);
        if (rc == 0)
            rc = xa_store_commit(st);
        else
            xa_store_rollback(st);
        if (rc < 0)
            return rc;
    }
    /* and made here too, where this one holds the same ops */
    for (size_t i = 0; rc == 0 && i < theirs->nmv; i++) {
        const xa_move *m = &theirs->mv[i];
        xa_node id = 0;
        int r = xa_rekey_id(st, scope, m->old, m->keep, &id);
        if (r < 0)
            return r;
        if (r == 1 || id != m->nu)
            continue; /* not held here, or another incarnation */
        rc = xa_store_rekey(st, scope, m->old, m->keep, NULL, NULL);
        out->followed++;
    }
    if (rc < 0)
        return rc;
    if (out->followed)
        return xa_error_set(XA_EFORGED,
                            "the other PC had moved %zu PC's edits to a new id; this PC has done"
                            " the same (nothing is lost); nothing of the file was applied",
                            out->followed);
    /* this replica's moves: the file must not bring the moved ops back
     * under their old dots */
    rc = moves(st, scope, &mine);
    for (size_t i = 0; rc == 0 && i < mine.nmv && out->moved_back == 0; i++)
        for (size_t k = 0; rc == 0 && k < nops; k++) {
            xa_node id = 0;
            if (ops[k].node != mine.mv[i].old || ops[k].seq != mine.mv[i].keep + 1)
                continue;
            rc = xa_rekey_id_op(scope, mine.mv[i].old, mine.mv[i].keep, &ops[k], &id);
            if (rc == 0 && id == mine.mv[i].nu) {
                out->moved_back = mine.mv[i].old;
                out->keep = mine.mv[i].keep;
            }
        }
    xa_chains_free(&mine);
    if (rc < 0)
        return rc;
    if (out->moved_back)
        return xa_error_set(XA_EFORGED,
                            "the file brings back, under their old dots, edits this PC moved to a"
                            " new id; nothing was applied");
    rc = xa_store_chains_compare(st, scope, theirs, &out->node, &out->keep);
    if (rc < 0 || out->node == 0)
        return rc;
    /* this PC's own dots, past what the district acknowledged: it holds
     * the newer incarnation, which moves */
    if (out->node == xa_store_node(st) && xa_syncstate_acked_get(st, scope, &acked) == 0 &&
        xa_vv_get(&acked, out->node) <= out->keep) {
        xa_vv_free(&acked);
        rc = xa_store_rekey(st, scope, out->node, out->keep, NULL, &out->moved);
        if (rc < 0)
            return rc;
        out->rekeyed = 1;
        return xa_error_set(XA_EFORGED,
                            "this PC was restored from a backup or copied; its %zu edits past"
                            " seq %llu now carry a new id (nothing is lost); nothing of the"
                            " file was applied",
                            out->moved, (unsigned long long)out->keep);
    }
    xa_vv_free(&acked);
    return xa_error_set(XA_EFORGED,
                        "the file holds other edits than this PC under one PC's dots from seq"
                        " %llu on; nothing was applied",
                        (unsigned long long)out->keep + 1);
}
