/*
 * cram_md5.c - CRAM-MD5 (RFC 2195), the mechanism Mesos authenticates frameworks and slaves
 * with: the master sends a one-time challenge, the client answers with its principal and the
 * HMAC-MD5 of the challenge keyed with its secret, the master recomputes it from its
 * credentials. The secret never crosses the wire.
 *
 * Why OpenSSL and not Cyrus SASL, which Mesos uses: the bytes on the wire are the same (RFC
 * 2195 fixes them: "<challenge>" one way, "principal hexdigest" the other), so clients linked
 * with libmesos authenticate with our master and ours with a Mesos master. What differs is the
 * cost of getting there. Cyrus keeps process-wide state behind a non-reentrant
 * sasl_server_init/sasl_client_init, loads the mechanism at run time from the libsasl2-modules
 * package's plugin directory (a missing package fails at the first authentication, not at
 * start), and reads secrets only through an auxiliary-property plugin, which Mesos had to write
 * (auxprop.cpp) to hand over its in-memory credentials. Every framework process linking our
 * scheduler library would inherit all of that. OpenSSL is already here for TLS on the
 * transport (and is what Cyrus' CRAM-MD5 itself computes with); the mechanism on top of its
 * HMAC is the few lines below, and the secret stays in our own table.
 */
#include "master/auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#define DIGEST_LEN 16 /* MD5 */

void auth_cram_challenge(const char *host, char *out)
{
    uint64_t nonce;
    if (RAND_bytes((unsigned char *)&nonce, sizeof nonce) != 1)
        LOG_FATAL("No random bytes for an authentication challenge");
    snprintf(out, AUTH_CHALLENGE_MAX, "<%llu.%lld@%.200s>", (unsigned long long)nonce,
             (long long)time(NULL), host && *host ? host : "localhost");
}

static void digest(const wire_bytes *secret, const void *challenge, size_t len,
                   unsigned char out[DIGEST_LEN])
{
    unsigned int n = DIGEST_LEN;
    static const unsigned char empty[1];
    const unsigned char *key = secret->len ? secret->data : empty;
    if (!HMAC(EVP_md5(), key, (int)secret->len, challenge, len, out, &n) || n != DIGEST_LEN)
        LOG_FATAL("HMAC-MD5 failed");
}

void auth_cram_response(const char *principal, const wire_bytes *secret, const void *challenge,
                        size_t challenge_len, act_buf *out)
{
    unsigned char d[DIGEST_LEN];
    digest(secret, challenge, challenge_len, d);
    act_buf_printf(out, "%s ", principal);
    for (int i = 0; i < DIGEST_LEN; i++) act_buf_printf(out, "%02x", d[i]);
    OPENSSL_cleanse(d, sizeof d);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The digest part of an answer (the last 2 * DIGEST_LEN characters after the last blank). */
static int parse_digest(const char *hex, unsigned char out[DIGEST_LEN])
{
    for (int i = 0; i < DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -EINVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int auth_cram_verify(const auth_credentials *c, const void *challenge, size_t challenge_len,
                     const void *response, size_t response_len, char *principal, size_t n)
{
    const char *r = response;
    /* "principal hexdigest": the principal is everything before the last blank. */
    if (response_len < 2 * DIGEST_LEN + 2 || r[response_len - 2 * DIGEST_LEN - 1] != ' ')
        return -EINVAL;
    size_t plen = response_len - 2 * DIGEST_LEN - 1;
    if (plen == 0 || plen >= n) return -EINVAL;
    for (size_t i = 0; i < plen; i++) /* it is logged: no control characters */
        if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f) return -EINVAL;
    unsigned char got[DIGEST_LEN], want[DIGEST_LEN];
    if (parse_digest(r + plen + 1, got) != 0) return -EINVAL;
    memcpy(principal, r, plen);
    principal[plen] = '\0';
    const wire_bytes *secret = auth_credentials_secret(c, principal);
    /* An unknown principal costs the same work as a known one. */
    static const wire_bytes none = {(uint8_t *)"", 0};
    digest(secret ? secret : &none, challenge, challenge_len, want);
    bool ok = CRYPTO_memcmp(got, want, DIGEST_LEN) == 0 && secret;
    OPENSSL_cleanse(want, sizeof want);
    return ok ? 0 : -EACCES;
}
