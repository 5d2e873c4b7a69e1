/*
 * Tokens: 256 random bits shown once as 43 base64url characters; the server keeps
 * only their SHA-256 (GnuTLS), so a copied database grants no access.
 */
#include "district.h"
#include "xasync/error.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

int xa_token_hash(const char *token, size_t len, uint8_t hash[XA_TOKEN_HASH])
{
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, len, hash) != 0)
        return xa_error_set(XA_EIO, "cannot hash a token");
    return 0;
}

int xa_token_new(char out[65], uint8_t hash[XA_TOKEN_HASH])
{
    /* base64url without padding: 256 bits in 43 characters, each sent in
     * every request's Authorization header. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33];
    size_t n = 0;

    raw[32] = 0;
    if (gnutls_rnd(GNUTLS_RND_KEY, raw, 32) != 0)
        return xa_error_set(XA_EIO, "cannot read random bytes");
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 18; k >= 0 && n < 43; k -= 6)
            out[n++] = b64[(v >> k) & 63];
    }
    out[n] = '\0';
    return xa_token_hash(out, n, hash);
}
