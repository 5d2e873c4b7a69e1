/*
 * Tokens: 256 random bits shown once as 64 hex digits; the server keeps
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
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];

    if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0)
        return xa_error_set(XA_EIO, "cannot read random bytes");
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[64] = '\0';
    return xa_token_hash(out, 64, hash);
}
