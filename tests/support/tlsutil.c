/*
 * tlsutil.c - TLS material and an HTTPS client for tests (see tlsutil.h).
 */
#include "tests/support/tlsutil.h"

#include <check.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define SAN "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3"

/* An EC key and a certificate request for `name`, signed by CA `ca` with `ext` (may be ""). */
static const char sign[] =
    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=%s "
    "-keyout %s.key -out %s.csr %s && "
    "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -CAcreateserial -days 2 "
    "-copy_extensions copy -out %s.pem";

static void ca(const char *dir, const char *name)
{
    ck_assert_int_eq(tu_sh(NULL, "cd '%s' && openssl req -x509 -newkey ec -pkeyopt "
                           "ec_paramgen_curve:prime256v1 -nodes -subj /CN=%s -days 2 "
                           "-keyout %s.key -out %s.pem 2>/dev/null", dir, name, name, name), 0);
}

static void cert(const char *dir, const char *name, const char *by, const char *ext)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, sign, name, name, name, ext, name, by, by, name);
    ck_assert_msg(tu_sh(NULL, "cd '%s' && { %s; } 2>/dev/null", dir, cmd) == 0,
                  "openssl could not make %s", name);
}

void tls_make_certs(const char *dir)
{
    ca(dir, "ca");
    ca(dir, "rogueca");
    cert(dir, "node", "ca", "-addext '" SAN "'");
    cert(dir, "nosan", "ca", "");
    cert(dir, "rogue", "rogueca", "-addext '" SAN "'");
}

void tls_env(const char *dir, const char *name, bool verify, bool require, bool downgrade)
{
    char path[4200];
    setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    setenv("LIBPROCESS_SSL_CERT_FILE", path, 1);
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    setenv("LIBPROCESS_SSL_KEY_FILE", path, 1);
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    setenv("LIBPROCESS_SSL_CA_FILE", path, 1);
    setenv("LIBPROCESS_SSL_VERIFY_CERT", verify ? "true" : "false", 1);
    setenv("LIBPROCESS_SSL_REQUIRE_CERT", require ? "true" : "false", 1);
    setenv("LIBPROCESS_SSL_SUPPORT_DOWNGRADE", downgrade ? "true" : "false", 1);
}

static size_t collect(void *data, size_t size, size_t n, void *ctx)
{
    if (ctx) act_buf_append(ctx, data, size * n);
    return size * n;
}

int tls_https_get(const char *dir, const char *name, const char *ip, uint16_t port,
                  const char *path, act_buf *body)
{
    char url[512], ca_path[4200], cert[4200], key[4200];
    snprintf(url, sizeof url, "https://%s:%u%s", ip, port, path);
    snprintf(ca_path, sizeof ca_path, "%s/ca.pem", dir);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_path);
    if (name) {
        snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
        snprintf(key, sizeof key, "%s/%s.key", dir, name);
        curl_easy_setopt(h, CURLOPT_SSLCERT, cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, key);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    long code = -1;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        code = -1;
    curl_easy_cleanup(h);
    return (int)code;
}

static char client_dir[4096], client_name[64];

static int https_client(const char *ip, uint16_t port, const char *path, act_buf *head,
                        act_buf *body)
{
    return tls_https_get(client_dir, client_name[0] ? client_name : NULL, ip, port, path, body);
}

void tls_http_client(const char *dir, const char *name)
{
    snprintf(client_dir, sizeof client_dir, "%s", dir);
    snprintf(client_name, sizeof client_name, "%s", name ? name : "");
    tu_http_set_client(https_client);
}
