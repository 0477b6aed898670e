/*
 * auth.h - authentication of frameworks and slaves with CRAM-MD5 (PROTOCOL.md,
 * "Authentication"; Mesos' src/authentication/cram_md5/): credential files read as Mesos
 * reads them, the CRAM-MD5 computations both sides make, and the authenticatee, the actor a
 * slave or a scheduler driver spawns to prove itself to the master. The master's side (the
 * authenticator) is master-internal (authenticator.c). Used by mesos-master, mesos-slave,
 * libmesos-sched and mesos-execute, as detector.h is.
 *
 * Linking: credentials.c, cram_md5.c and authenticatee.c use actor/ and wire/ only; add
 * -lcrypto (OpenSSL's HMAC-MD5 and random bytes).
 */
#ifndef MASTER_AUTH_H
#define MASTER_AUTH_H

#include "wire/wire.h"

/* ---- credentials (credentials.c) --------------------------------------------------------- */

/* Principals and their secrets. Secrets are never logged nor put in an error message. */
typedef struct auth_credentials auth_credentials;

/* Parses credentials as Mesos reads --credentials: JSON {"credentials": [{"principal": "p",
 * "secret": "s"}, ...]}, or text with one "principal secret" per line (separated by blanks;
 * blank lines and a trailing newline are fine). Returns 0 and *out (free it with
 * auth_credentials_free), or -EINVAL with the reason (a line number, never a secret) in err. */
int auth_credentials_parse(const char *text, size_t len, auth_credentials **out, char *err,
                           size_t errlen);
/* Reads the file at path and parses it; logs a warning if others may read it. An empty file
 * is an error. Returns 0, -EINVAL or the errno of the read, with err set. */
int auth_credentials_read(const char *path, auth_credentials **out, char *err, size_t errlen);
/* The secret of principal, or NULL. The pointer lives as long as c. */
const wire_bytes *auth_credentials_secret(const auth_credentials *c, const char *principal);
size_t auth_credentials_count(const auth_credentials *c);
void auth_credentials_free(auth_credentials *c);

/* True if principal's secret is `secret` (constant time in the secret). For HTTP Basic
 * authentication (--authenticate_http): an act_http_auth_fn with the credentials as ctx. */
bool auth_credentials_check(void *credentials, const char *principal, const char *secret);

/* Reads one credential (the slave's --credential): the same forms holding exactly one
 * principal (JSON {"principal": "p", "secret": "s"} is also accepted, as Mesos does). Returns
 * 0 and a new wire_credential message in *out (wire_msg_free it), or an error as above. */
int auth_credential_read(const char *path, wire_msg **out, char *err, size_t errlen);

/* ---- CRAM-MD5 (RFC 2195; cram_md5.c) ----------------------------------------------------- */

#define AUTH_MECHANISM "CRAM-MD5"
#define AUTH_CHALLENGE_MAX 256

/* Writes a fresh challenge "<random.seconds@host>" (NUL-terminated) into out, which holds
 * AUTH_CHALLENGE_MAX bytes. */
void auth_cram_challenge(const char *host, char *out);
/* Appends the client's answer to challenge to out: "principal " and the lower-case hex
 * HMAC-MD5 of the challenge keyed with the secret. */
void auth_cram_response(const char *principal, const wire_bytes *secret, const void *challenge,
                        size_t challenge_len, act_buf *out);
/* Checks a client's answer against the credentials. Returns 0 with the principal copied into
 * principal (n bytes), -EACCES for an unknown principal or a wrong digest (the two are not told
 * apart, and the digest comparison takes constant time), or -EINVAL for a malformed answer. */
int auth_cram_verify(const auth_credentials *c, const void *challenge, size_t challenge_len,
                     const void *response, size_t response_len, char *principal, size_t n);

/* ---- the authenticatee (authenticatee.c) ------------------------------------------------- */

/* How long one attempt may take before it is abandoned and made again (Mesos: 5 s). */
#define AUTH_TIMEOUT 5.0
/* The pause before another attempt after the master reported an error. */
#define AUTH_RETRY_DELAY 1.0

/* What the authenticatee posts to its client (obj: an auth_result, freed after the handler).
 * Install the handler with act_on_local, and take the result only from the authenticatee
 * the client spawned last (msg->from). */
#define AUTH_MSG_RESULT "authenticatee.result"

typedef struct auth_result {
    bool completed;  /* true: authenticated; false: the master refused the credential */
} auth_result;

/* Spawns an authenticatee ("crammd5_authenticatee(N)") on `loop` that authenticates `client`,
 * a local actor, with the master at `master` using `credential` (copied). It tries until the
 * master completes or refuses it (making a new attempt after AUTH_TIMEOUT without an answer,
 * or AUTH_RETRY_DELAY after an error), posts AUTH_MSG_RESULT to client and terminates. To give
 * up (the master changed), act_terminate it: nothing is posted then. Returns 0 and its pid. */
int auth_authenticatee_spawn(const act_pid *master, const act_pid *client,
                             const wire_credential *credential, int loop, act_pid *out);

#endif /* MASTER_AUTH_H */
