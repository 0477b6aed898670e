/*
 * selfsigned.h - TLS for the programs that are not tests (benchmarks, fuzz targets): a
 * self-signed certificate for 127.0.0.1 made with the openssl command, and the
 * LIBPROCESS_SSL_* environment that makes the next runtime (and its children) speak TLS with
 * it. Header-only; the tests use tlsutil.h (a CA, several certificates).
 */
#ifndef TESTS_SUPPORT_SELFSIGNED_H
#define TESTS_SUPPORT_SELFSIGNED_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes the certificate in a new directory (its path in dir, 32 bytes; remove it when done)
 * and sets the environment; `verify` also verifies and requires peers' certificates. False
 * if openssl failed. */
static inline bool selfsigned_tls_env(char dir[32], bool verify)
{
    snprintf(dir, 32, "/tmp/mesos-tls-XXXXXX");
    if (!mkdtemp(dir)) return false;
    char cmd[512], path[64];
    snprintf(cmd, sizeof cmd, "cd %s && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -days 2 -keyout key.pem "
             "-out cert.pem -addext subjectAltName=IP:127.0.0.1 2>/dev/null", dir);
    if (system(cmd) != 0) return false;
    setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    setenv("LIBPROCESS_SSL_CERT_FILE", path, 1);
    setenv("LIBPROCESS_SSL_CA_FILE", path, 1);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    setenv("LIBPROCESS_SSL_KEY_FILE", path, 1);
    setenv("LIBPROCESS_SSL_VERIFY_CERT", verify ? "true" : "false", 1);
    setenv("LIBPROCESS_SSL_REQUIRE_CERT", verify ? "true" : "false", 1);
    return true;
}

#endif
