/*
 * fuzz_https.c - the HTTP framing and message dispatch target (fuzz_http.c) over the TLS
 * path: the runtime runs with LIBPROCESS_SSL_ENABLED (a certificate made with openssl when
 * the target starts); for each input a TLS client (OpenSSL, here) completes a handshake with
 * an incoming connection over a socketpair, driving the transport's read handler, then sends
 * the input encrypted in two writes split where its first byte says. What the server decrypts
 * goes through the parser to a test actor and the built-in routes; nothing may crash, leak,
 * or allocate much beyond the input.
 */
#include "tests/fuzz/http_fuzz.h"
#include "tests/support/selfsigned.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

uint64_t act__transport_fuzz_open(int fd);
bool act__transport_fuzz_pump(uint64_t id);
void act__transport_fuzz_close(uint64_t id);

static SSL_CTX *client_ctx;

static void setup(void)
{
    char dir[32]; /* the certificate's directory stays while the target runs */
    if (!selfsigned_tls_env(dir, false)) abort();
    http_fuzz_setup();
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
