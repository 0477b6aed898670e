/*
 * fuzz_https.c - the HTTP framing and message dispatch target (fuzz_http.c) over the TLS
 * path: the runtime runs with LIBPROCESS_SSL_ENABLED (a certificate made with openssl when
 * the target starts); for each input a TLS client (OpenSSL, here) completes a handshake with
 * an incoming connection over a socketpair, driving the transport's read handler, then sends
 * the input encrypted in two writes split where its first byte says. What the server decrypts
 * goes through the parser to a test actor and the built-in routes; nothing may crash, leak,
 * or allocate much beyond the input.
 */
#include "actor/actor.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

uint64_t act__transport_fuzz_open(int fd);
bool act__transport_fuzz_pump(uint64_t id);
void act__transport_fuzz_close(uint64_t id);
void act__fuzz_run_until_idle(void);

static SSL_CTX *client_ctx;

static void on_ping(act_actor *self, const act_msg *m)
{
    if (!act_pid_is_none(&m->from)) act_send(self, &m->from, "pong", m->body, m->len);
}

static void on_hello(act_actor *self, act_http_req *req)
{
    act_http_respond_text(req, 200, act_http_path(req));
}

/* A self-signed certificate for 127.0.0.1 in a directory that lives as long as the target. */
static void make_certificate(void)
{
    static char dir[] = "/tmp/fuzz-https-XXXXXX";
    if (!mkdtemp(dir)) abort();
    char cmd[1024], path[256];
    snprintf(cmd, sizeof cmd, "cd %s && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -subj /CN=fuzz -days 2 -keyout key.pem "
             "-out cert.pem -addext subjectAltName=IP:127.0.0.1 2>/dev/null", dir);
    if (system(cmd) != 0) abort();
    setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    setenv("LIBPROCESS_SSL_CERT_FILE", path, 1);
    setenv("LIBPROCESS_SSL_CA_FILE", path, 1);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    setenv("LIBPROCESS_SSL_KEY_FILE", path, 1);
}

static void setup(void)
{
    act_log_set_level(ACT_LOG_FATAL);
    make_certificate();
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    c.max_body = 1 << 20;
    if (act_init(&c) != 0) abort();
    act_actor *a = act_new("echo", NULL);
    act_on_message(a, "ping", on_ping);
    act_route(a, "hello", on_hello, "fuzz");
    act_spawn(a, 0);
    act_set_default_actor("echo");
    act__fuzz_run_until_idle();
    client_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
}

/* Steps the client's handshake and the server's read handler until the client is through. */
static bool handshake(SSL *ssl, uint64_t id)
{
    for (int i = 0; i < 64; i++) {
        int r = SSL_do_handshake(ssl);
        if (r == 1) return true;
        int err = SSL_get_error(ssl, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
        if (!act__transport_fuzz_pump(id)) return false;
    }
    return false;
}

static void send_all(SSL *ssl, uint64_t id, const uint8_t *data, size_t n)
{
    while (n) {
        int w = SSL_write(ssl, data, (int)(n > 16384 ? 16384 : n));
        if (w <= 0) return;
        data += w;
        n -= (size_t)w;
        act__transport_fuzz_pump(id);
    }
    act__transport_fuzz_pump(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size == 0) return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return 0;
    uint64_t id = act__transport_fuzz_open(sv[0]);
    SSL *ssl = SSL_new(client_ctx);
    SSL_set_fd(ssl, sv[1]);
    SSL_set_connect_state(ssl);
    if (id && handshake(ssl, id)) {
        size_t split = data[0] * (size - 1) / 255;
        send_all(ssl, id, data + 1, split);
        send_all(ssl, id, data + 1 + split, size - 1 - split);
        act__fuzz_run_until_idle();
    }
    SSL_free(ssl);
    ERR_clear_error();
    if (id) act__transport_fuzz_close(id);
    close(sv[1]);
    act__fuzz_run_until_idle();
    return 0;
}
