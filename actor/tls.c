/*
 * tls.c - TLS on the transport, configured as later libprocess is, by the environment:
 *   LIBPROCESS_SSL_ENABLED            every connection this process makes is TLS, and TLS is
 *                                     what it accepts on its one port (messages and HTTP)
 *   LIBPROCESS_SSL_CERT_FILE, _KEY_FILE   this process' certificate and key (required)
 *   LIBPROCESS_SSL_CA_FILE, _CA_DIR   whom to trust (default: the system's CAs)
 *   LIBPROCESS_SSL_VERIFY_CERT        verify the peer's certificate: a server's always, a
 *                                     client's when it presents one
 *   LIBPROCESS_SSL_REQUIRE_CERT       clients must present one (implies VERIFY_CERT)
 *   LIBPROCESS_SSL_SUPPORT_DOWNGRADE  also accept plain-text connections on the port (the
 *                                     first byte tells: a TLS handshake begins with 0x16)
 * A verified certificate must also name the peer's address (a subjectAltName IP entry): the
 * server's, the one this process connected to; a client's, the one its connection comes from.
 * With Libprocess-From checked against that same address (transport.c), a verified peer
 * cannot speak for another host. OpenSSL does the cryptography; sessions are non-blocking on
 * loop 0's sockets, driven by the transport's read and write watchers.
 */
#include "actor/transport_int.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define RECORD_MAX 16384 /* one TLS record's plaintext: what a write sends at most */

typedef struct tls_config {
    bool enabled, verify, require, downgrade;
    SSL_CTX *ctx;
} tls_config;

static tls_config G;

struct act_tls {
    SSL *ssl;
    bool established;    /* handshake done and the peer checked */
    bool read_wants_write, write_wants_read;
    unsigned char out[RECORD_MAX]; /* what the last SSL_write was given, until it completes */
};

/* ---- configuration ----------------------------------------------------------------------- */

static bool env_bool(const char *name, bool *out)
{
    const char *v = getenv(name);
    if (!v || !*v) return true;
    if (!strcasecmp(v, "true") || !strcmp(v, "1")) *out = true;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0")) *out = false;
    else {
        LOG_ERROR("%s='%s' is not a boolean (true, false, 1, 0)", name, v);
        return false;
    }
    return true;
}

static const char *ssl_error(void)
{
    static _Thread_local char buf[256];
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown error";
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

static int load_context(void)
{
    const char *cert = getenv("LIBPROCESS_SSL_CERT_FILE"), *key = getenv("LIBPROCESS_SSL_KEY_FILE");
    const char *ca_file = getenv("LIBPROCESS_SSL_CA_FILE"), *ca_dir = getenv("LIBPROCESS_SSL_CA_DIR");
    if (!cert || !*cert || !key || !*key) {
        LOG_ERROR("LIBPROCESS_SSL_ENABLED needs LIBPROCESS_SSL_CERT_FILE and "
                  "LIBPROCESS_SSL_KEY_FILE");
        return -EINVAL;
    }
    G.ctx = SSL_CTX_new(TLS_method());
    SSL_CTX_set_min_proto_version(G.ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(G.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* A peer that closes without close_notify has ended, as a plain-text peer that closes:
     * HTTP's own framing tells a cut message (as over plain text). */
    SSL_CTX_set_options(G.ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_use_certificate_chain_file(G.ctx, cert) != 1) {
        LOG_ERROR("LIBPROCESS_SSL_CERT_FILE=%s: %s", cert, ssl_error());
        return -EINVAL;
    }
    if (SSL_CTX_use_PrivateKey_file(G.ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(G.ctx) != 1) {
        LOG_ERROR("LIBPROCESS_SSL_KEY_FILE=%s: %s", key, ssl_error());
        return -EINVAL;
    }
    bool own = (ca_file && *ca_file) || (ca_dir && *ca_dir);
    int ok = own ? SSL_CTX_load_verify_locations(G.ctx, ca_file && *ca_file ? ca_file : NULL,
                                                 ca_dir && *ca_dir ? ca_dir : NULL)
                 : SSL_CTX_set_default_verify_paths(G.ctx);
    if (ok != 1) {
        LOG_ERROR("LIBPROCESS_SSL_CA_FILE/CA_DIR: %s", ssl_error());
        return -EINVAL;
    }
    return 0;
}

int act__tls_init(void)
{
    memset(&G, 0, sizeof G);
    if (!env_bool("LIBPROCESS_SSL_ENABLED", &G.enabled)) return -EINVAL;
    if (!G.enabled) return 0;
    if (!env_bool("LIBPROCESS_SSL_VERIFY_CERT", &G.verify) ||
        !env_bool("LIBPROCESS_SSL_REQUIRE_CERT", &G.require) ||
        !env_bool("LIBPROCESS_SSL_SUPPORT_DOWNGRADE", &G.downgrade))
        return -EINVAL;
    if (G.require) G.verify = true;
    int rc = load_context();
    if (rc != 0) {
        act__tls_shutdown();
        return rc;
    }
    LOG_INFO("TLS on the transport: peer certificates %s%s%s", G.verify ? "verified" : "not "
             "verified", G.require ? ", required of clients" : "",
             G.downgrade ? "; plain-text connections accepted too" : "");
    return 0;
}

void act__tls_shutdown(void)
{
    if (G.ctx) SSL_CTX_free(G.ctx);
    memset(&G, 0, sizeof G);
}

bool act__tls_on(void)
{
    return G.enabled;
}

/* ---- sessions ----------------------------------------------------------------------------- */

static act_tls *session_new(conn *c, bool server)
{
    act_tls *t = act_calloc(1, sizeof *t);
    t->ssl = SSL_new(G.ctx);
    SSL_set_fd(t->ssl, c->fd);
    int mode = G.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
    if (server && G.require) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_set_verify(t->ssl, mode, NULL);
    if (server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        unsigned char ip[4] = {c->ip >> 24, c->ip >> 16, c->ip >> 8, c->ip};
        /* The server's certificate must name the address this process connected to. */
        if (G.verify) X509_VERIFY_PARAM_set1_ip(SSL_get0_param(t->ssl), ip, sizeof ip);
    }
    c->tls = t;
    return t;
}

void act__tls_connect(conn *c)
{
    if (G.enabled) session_new(c, false);
}

int act__tls_accept(conn *c)
{
    if (!G.enabled || c->tls || c->plain) return 0;
    unsigned char first;
    ssize_t n = recv(c->fd, &first, 1, MSG_PEEK);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : 0;
    if (n == 0) return 0; /* the read that follows sees the end */
    if (first == 0x16) { /* a TLS handshake record */
        session_new(c, true);
        return 0;
    }
    if (G.downgrade) {
        c->plain = true;
        return 0;
    }
    char peer[32];
    act_counter_inc(act_counter_get("runtime/tls_refused_connections"));
    LOG_WARNING_LIMITED("Refusing a plain-text connection from %s: this process speaks TLS "
                        "only (LIBPROCESS_SSL_SUPPORT_DOWNGRADE is off)",
                        act__conn_peer(c, peer, sizeof peer));
    act__conn_kill(c, NULL);
    return -EPROTO;
}

/* A verified client's certificate must name the address its connection comes from. */
static bool peer_matches(conn *c)
{
    if (!G.verify || c->outgoing) return true; /* the client side checked during the handshake */
    X509 *cert = SSL_get1_peer_certificate(c->tls->ssl);
    if (!cert) return true; /* none given, and none required */
    unsigned char ip[4] = {c->ip >> 24, c->ip >> 16, c->ip >> 8, c->ip};
    bool ok = X509_check_ip(cert, ip, sizeof ip, 0) == 1;
    X509_free(cert);
    return ok;
}

/* Maps an SSL call's result: bytes, or -EAGAIN (the watchers are set), or a fatal error
 * (the connection is killed and -EPROTO returned). */
static ssize_t outcome(conn *c, int r, bool reading)
{
    act_tls *t = c->tls;
    if (r > 0) {
        if (!t->established) {
            t->established = true;
            if (!peer_matches(c)) {
                char peer[32];
                LOG_WARNING_LIMITED("Closing the TLS connection from %s: its certificate does "
                                    "not name its address", act__conn_peer(c, peer, sizeof peer));
                act_counter_inc(act_counter_get("runtime/tls_refused_connections"));
                act__conn_kill(c, NULL);
                return -EPROTO;
            }
        }
        return r;
    }
    int err = SSL_get_error(t->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (reading) t->read_wants_write = err == SSL_ERROR_WANT_WRITE;
        else t->write_wants_read = err == SSL_ERROR_WANT_READ;
        if (err == SSL_ERROR_WANT_WRITE && !ev_is_active(&c->wio)) ev_io_start(act__T->ev, &c->wio);
        if (err == SSL_ERROR_WANT_READ && !ev_is_active(&c->rio)) ev_io_start(act__T->ev, &c->rio);
        return -EAGAIN;
    }
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    char peer[32], why[300];
    snprintf(why, sizeof why, "TLS: %s", err == SSL_ERROR_SYSCALL && errno ? strerror(errno)
                                         : ssl_error());
    if (!t->established) {
        act_counter_inc(act_counter_get("runtime/tls_refused_connections"));
        if (!c->outgoing)
            LOG_WARNING_LIMITED("TLS handshake with %s failed: %s",
                                act__conn_peer(c, peer, sizeof peer), why);
    }
    act__conn_kill(c, c->outgoing ? why : NULL);
    return -EPROTO;
}

ssize_t act__tls_read(conn *c, void *buf, size_t n)
{
    ERR_clear_error();
    c->tls->read_wants_write = false;
    return outcome(c, SSL_read(c->tls->ssl, buf, (int)(n > INT32_MAX ? INT32_MAX : n)), true);
}

ssize_t act__tls_writev(conn *c, const struct iovec *iov, int n)
{
    act_tls *t = c->tls;
    size_t len = 0;
    /* Many small messages make one record: the same bytes, in order, as a retry needs. */
    for (int i = 0; i < n && len < RECORD_MAX; i++) {
        size_t take = iov[i].iov_len < RECORD_MAX - len ? iov[i].iov_len : RECORD_MAX - len;
        memcpy(t->out + len, iov[i].iov_base, take);
        len += take;
    }
    ERR_clear_error();
    t->write_wants_read = false;
    return outcome(c, SSL_write(t->ssl, t->out, (int)len), false);
}

bool act__tls_pending(const conn *c)
{
    return c->tls && SSL_pending(c->tls->ssl) > 0;
}

bool act__tls_read_wants_write(const conn *c)
{
    return c->tls && c->tls->read_wants_write;
}

bool act__tls_write_wants_read(const conn *c)
{
    return c->tls && c->tls->write_wants_read;
}

void act__tls_free(conn *c)
{
    if (!c->tls) return;
    SSL_free(c->tls->ssl);
    free(c->tls);
    c->tls = NULL;
}
