/*
 * http_auth.c - HTTP Basic authentication of the endpoints that change state or show task
 * data (routes added with act_route_protected; later Mesos' --authenticate_http). The binary
 * hands the runtime a function that checks a user name and password (the daemons check their
 * credentials); a protected request without valid credentials is answered 401 with
 * WWW-Authenticate on loop 0 and never reaches its actor. Credentials travel in the clear
 * unless the transport is TLS (LIBPROCESS_SSL_ENABLED).
 */
#include "actor/actor_int.h"

#include <string.h>
#include <strings.h>

#define MAX_CREDENTIALS 1024 /* longest Authorization value looked at */

void act_http_set_authenticator(act_http_auth_fn fn, void *ctx, const char *realm)
{
    pthread_rwlock_wrlock(&act__rt->table_lock);
    act__rt->http_auth = fn;
    act__rt->http_auth_ctx = ctx;
    snprintf(act__rt->http_realm, sizeof act__rt->http_realm, "%s", realm ? realm : "mesos");
    pthread_rwlock_unlock(&act__rt->table_lock);
}

const char *act_http_principal(const act_http_req *req)
{
    return req->principal;
}

/* "Basic <base64 of user:password>" checked by fn; sets req->principal when right. */
static bool credentials_pass(act_http_req *req, act_http_auth_fn fn, void *ctx)
{
    const char *h = act_http_header(req, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return false;
    h += 6;
    while (*h == ' ') h++;
    size_t len = strlen(h);
    while (len && h[len - 1] == ' ') len--;
    if (len == 0 || len > MAX_CREDENTIALS || len % 4) return false;
    unsigned char decoded[MAX_CREDENTIALS];
    long n = act_base64_decode(h, len, decoded);
    if (n < 0) return false;
    decoded[n] = '\0';
    char *colon = memchr(decoded, ':', (size_t)n);
    if (!colon || memchr(decoded, '\0', (size_t)n)) return false;
    *colon = '\0';
    bool ok = fn(ctx, (const char *)decoded, colon + 1);
    if (ok) req->principal = act_strdup((const char *)decoded);
    memset(decoded, 0, sizeof decoded);
    return ok;
}

static void respond_401(act_http_req *req, const char *realm)
{
    char header[128];
    snprintf(header, sizeof header, "WWW-Authenticate: Basic realm=\"%s\"\r\n", realm);
    act_http_respond(req, 401, "text/plain", "Unauthorized", 12, header);
}

bool act__http_auth_check(act_http_req *req, char *realm, size_t n)
{
    act_runtime *rt = act__rt;
    if (!rt->http_auth || req->principal ||
        credentials_pass(req, rt->http_auth, rt->http_auth_ctx))
        return true;
    snprintf(realm, n, "%s", rt->http_realm);
    return false;
}

void act__http_auth_refuse(act_http_req *req, const char *realm)
{
    LOG_WARNING_LIMITED("Refusing %s %s: %s", req->method, req->url,
                        act_http_header(req, "Authorization") ? "wrong HTTP credentials"
                                                              : "no HTTP credentials");
    respond_401(req, realm);
}

bool act_http_authenticate(act_http_req *req)
{
    char realm[64];
    pthread_rwlock_rdlock(&act__rt->table_lock);
    bool ok = act__http_auth_check(req, realm, sizeof realm);
    pthread_rwlock_unlock(&act__rt->table_lock);
    if (!ok) act__http_auth_refuse(req, realm);
    return ok;
}

void act_http_respond_unauthorized(act_http_req *req)
{
    char realm[64];
    pthread_rwlock_rdlock(&act__rt->table_lock);
    snprintf(realm, sizeof realm, "%s", act__rt->http_realm[0] ? act__rt->http_realm : "mesos");
    pthread_rwlock_unlock(&act__rt->table_lock);
    respond_401(req, realm);
}
