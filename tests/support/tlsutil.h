/*
 * tlsutil.h - TLS for tests: certificates made with the openssl command, the LIBPROCESS_SSL_*
 * environment that makes this process' runtime (and the daemons it starts, which inherit it)
 * speak TLS, and an HTTPS client (libcurl) for the tests' HTTP helpers.
 */
#ifndef TESTS_SUPPORT_TLSUTIL_H
#define TESTS_SUPPORT_TLSUTIL_H

#include "tests/support/testutil.h"

/* Makes, in dir: ca.pem (a test CA); node.pem/node.key, signed by it and naming 127.0.0.1,
 * 127.0.0.2 and 127.0.0.3; nosan.pem/nosan.key, signed by it but naming no address; and
 * rogue.pem/rogue.key, naming the same addresses but signed by another CA. Fails the test if
 * openssl does. */
void tls_make_certs(const char *dir);

/* Sets LIBPROCESS_SSL_* for the runtime this process creates next (and its children): TLS on,
 * certificate `name` (node, nosan, rogue) from dir, ca.pem trusted, and the three switches. */
void tls_env(const char *dir, const char *name, bool verify, bool require, bool downgrade);

/* Makes the tests' HTTP helpers speak HTTPS, trusting dir's CA and presenting the
 * certificate `name` (NULL: none). */
void tls_http_client(const char *dir, const char *name);

/* One HTTPS GET: the status (-1 when the TLS handshake or the connection failed), the body
 * in body (may be NULL). */
int tls_https_get(const char *dir, const char *name, const char *ip, uint16_t port,
                  const char *path, act_buf *body);

#endif
