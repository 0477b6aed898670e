/*
 * http.c - HTTP routes owned by actors. A request /<actor>/<path> goes to that actor's route
 * (exact match, else the longest route below which the path lies, else its "*" route); a
 * path whose first segment names no actor goes to the default actor. A plain POST to a path
 * that names a message handler is delivered as an anonymous message and answered 202.
 * Handlers run on their actor's loop and may answer from any thread; answers are written in
 * request order by the transport on loop 0. A body may also be produced piece by piece as the
 * client takes it (act_http_respond_stream), for answers too large to build in memory.
 */
#include "actor/actor_int.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

static void add_route(act_actor *a, const char *path, act_http_fn fn, const char *help,
                      bool protect)
{
    ACT_CHECK(!a->spawned);
    while (*path == '/') path++;
    a->routes = act_realloc(a->routes, (a->route_count + 1) * sizeof *a->routes);
    route *r = &a->routes[a->route_count++];
    r->path = act_strdup(path);
    r->fn = fn;
    r->help = act_strdup(help ? help : "");
    r->protect = protect;
}

void act_route(act_actor *a, const char *path, act_http_fn fn, const char *help)
{
    add_route(a, path, fn, help, false);
}

void act_route_protected(act_actor *a, const char *path, act_http_fn fn, const char *help)
{
    add_route(a, path, fn, help, true);
}

void act_set_default_actor(const char *name)
{
    pthread_rwlock_wrlock(&act__rt->table_lock);
    snprintf(act__rt->default_actor, sizeof act__rt->default_actor, "%s", name);
    pthread_rwlock_unlock(&act__rt->table_lock);
}

static const route *match_route(const act_actor *a, const char *path)
{
    const route *best = NULL, *star = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < a->route_count; i++) {
        const route *r = &a->routes[i];
        size_t n = strlen(r->path);
        if (strcmp(r->path, "*") == 0) {
            star = r;
        } else if (strcmp(r->path, path) == 0) {
            return r;
        } else if (n > 0 && n >= best_len && strncmp(path, r->path, n) == 0 &&
                   (path[n] == '/' || r->path[n - 1] == '/')) {
            best = r;
            best_len = n;
        }
    }
    return best ? best : star;
}

/* Routes a parsed request (transport, loop 0). `path` is the URL path, starting with '/'. */
void act__http_route_request(act_http_req *req, const char *path)
{
    while (*path == '/') path++;
    size_t seg = strcspn(path, "/");
    char first[ACT_ID_MAX];
    const char *rest = path[seg] ? path + seg + 1 : "";
    bool named = seg > 0 && seg < sizeof first;
    if (named) {
        memcpy(first, path, seg);
        first[seg] = '\0';
    }
    act_runtime *rt = act__rt;
    char target[ACT_ID_MAX] = "";
    bool anonymous_message = false;
    pthread_rwlock_rdlock(&rt->table_lock);
    act_actor *a = named ? act__table_find(first) : NULL;
    const route *r = a ? match_route(a, rest) : NULL;
    if (a && !r && strcmp(req->method, "POST") == 0 && act__find_handler(a, rest, true)) {
        anonymous_message = true;
        snprintf(target, sizeof target, "%s", a->name);
    } else if (!r && rt->default_actor[0]) {
        a = act__table_find(rt->default_actor);
        rest = path;
        r = a ? match_route(a, rest) : NULL;
    }
    char realm[64];
    bool refused = r && r->protect && !act__http_auth_check(req, realm, sizeof realm);
    if (r) {
        req->fn = r->fn;
        snprintf(target, sizeof target, "%s", a->name);
    }
    pthread_rwlock_unlock(&rt->table_lock);
    if (refused) {
        act__http_auth_refuse(req, realm);
        return;
    }

    if (anonymous_message) {
        act_entry *m = act__entry_new(E_MSG, NULL, target, rest, req->body, req->body_len);
        m->anonymous_http = true;
        m->remote = true;
        m->tc.span = m->tc.trace = act__span_new(); /* a plain POST starts a trace */
        act__deliver(m);
        act_http_respond(req, 202, NULL, NULL, 0, NULL);
        return;
    }
    if (!r) {
        act_http_respond_text(req, 404, "Not Found");
        return;
    }
    req->path = act_strdup(rest);
    act_entry *e = act__entry_new(E_HTTP, NULL, target, NULL, NULL, 0);
    e->u.req = req;
    act__deliver(e);
}

void act__http_req_free(act_http_req *req)
{
    free(req->principal);
    free(req->method);
    free(req->url);
    free(req->path);
    free(req->query);
    for (size_t i = 0; i < req->hdr_count; i++) {
        free(req->hdr_names[i]);
        free(req->hdr_values[i]);
    }
    free(req->hdr_names);
    free(req->hdr_values);
    for (size_t i = 0; i < req->q_count; i++) {
        free(req->q_keys[i]);
        free(req->q_values[i]);
    }
    free(req->q_keys);
    free(req->q_values);
    for (size_t i = 0; i < req->f_count; i++) {
        free(req->f_keys[i]);
        free(req->f_values[i]);
    }
    free(req->f_keys);
    free(req->f_values);
    free(req->body);
    free(req);
}

/* ---- request accessors ------------------------------------------------------------------- */

const char *act_http_method(const act_http_req *req) { return req->method; }
const char *act_http_path(const act_http_req *req) { return req->path ? req->path : ""; }
const char *act_http_url(const act_http_req *req) { return req->url; }

const char *act_http_header(const act_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->hdr_count; i++)
        if (strcasecmp(req->hdr_names[i], name) == 0) return req->hdr_values[i];
    return NULL;
}

const uint8_t *act_http_body(const act_http_req *req, size_t *len)
{
    if (len) *len = req->body_len;
    return req->body;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) ('+' is a space) into a new string. */
static char *url_decode(const char *s, size_t n)
{
    char *out = act_malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
                   (lo = hexval(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Decodes "a=1&b=2" (s[0..len)) into keys and values appended to the arrays. */
static void parse_pairs(const char *s, size_t len, char ***keys, char ***values, size_t *count)
{
    if (!s) return;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
        if (n) {
            const char *eq = memchr(p, '=', n);
            size_t k = eq ? (size_t)(eq - p) : n;
            *keys = act_realloc(*keys, (*count + 1) * sizeof(char *));
            *values = act_realloc(*values, (*count + 1) * sizeof(char *));
            (*keys)[*count] = url_decode(p, k);
            (*values)[*count] = k < n ? url_decode(p + k + 1, n - k - 1) : act_strdup("");
            (*count)++;
        }
        p += n + 1;
    }
}

static const char *find_pair(char **keys, char **values, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(keys[i], key) == 0) return values[i];
    return NULL;
}

const char *act_http_query(const act_http_req *req, const char *key)
{
    act_http_req *r = (act_http_req *)req; /* the decoded query is a cache */
    if (!r->q_parsed) parse_pairs(r->query, strlen(r->query), &r->q_keys, &r->q_values,
                                  &r->q_count);
    r->q_parsed = true;
    return find_pair(r->q_keys, r->q_values, r->q_count, key);
}

const char *act_http_form(const act_http_req *req, const char *key)
{
    act_http_req *r = (act_http_req *)req; /* the decoded form is a cache too */
    if (!r->f_parsed) parse_pairs((const char *)r->body, r->body_len, &r->f_keys,
                                  &r->f_values, &r->f_count);
    r->f_parsed = true;
    return find_pair(r->f_keys, r->f_values, r->f_count, key);
}

/* ---- responses --------------------------------------------------------------------------- */

const char *act__http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Request Entity Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* A response head. length < 0: no Content-Length (chunked when `chunked`, else the body
 * ends when the connection closes). */
static void format_head(act_buf *out, int status, const char *ctype, int64_t length,
                        bool chunked, const char *extra, bool keep_alive)
{
    act_buf_printf(out, "HTTP/1.1 %d %s\r\n", status, act__http_reason(status));
    if (ctype) act_buf_printf(out, "Content-Type: %s\r\n", ctype);
    if (length >= 0) act_buf_printf(out, "Content-Length: %lld\r\n", (long long)length);
    if (chunked) act_buf_puts(out, "Transfer-Encoding: chunked\r\n");
    if (!keep_alive) act_buf_puts(out, "Connection: close\r\n");
    if (extra) act_buf_puts(out, extra);
    act_buf_puts(out, "\r\n");
}

void act__http_format_response(act_buf *out, int status, const char *ctype, const void *body,
                               size_t len, const char *extra, bool keep_alive)
{
    format_head(out, status, ctype, (int64_t)len, false, extra, keep_alive);
    act_buf_append(out, body, len);
}

/* Hands the response bytes (and a producer for the rest of the body) to the transport. */
static void send_reply(act_http_req *req, act_buf *bytes, bool stream, bool close,
                       act_pull *pull)
{
    if (act__current_loop == &act__rt->loops[0]) {
        act__transport_reply(req->conn_id, req->seq, bytes->data, bytes->len, close, stream,
                             pull);
    } else {
        ACT_CHECK(!stream);
        act_entry *e = act__entry_new(E_HTTP_REPLY, NULL, NULL, NULL, bytes->data, bytes->len);
        e->u.reply.conn_id = req->conn_id;
        e->u.reply.seq = req->seq;
        e->u.reply.close = close;
        e->u.reply.pull = pull;
        act__loop_push(&act__rt->loops[0], e);
    }
}

void act_http_respond(act_http_req *req, int status, const char *content_type,
                      const void *body, size_t len, const char *extra_headers)
{
    act_buf out = {0};
    act__http_format_response(&out, status, content_type, body, len, extra_headers,
                              req->keep_alive);
    send_reply(req, &out, false, !req->keep_alive, NULL);
    act_buf_free(&out);
    act__http_req_free(req);
}

static bool jsonp_name_valid(const char *s)
{
    if (!*s || strlen(s) > 128) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '$') return false;
    return true;
}

/* The request's ?jsonp= callback name in *cb (NULL when absent). An invalid name is answered
 * 400 (req consumed) and gives -EINVAL. */
static int jsonp_callback(act_http_req *req, const char **cb)
{
    *cb = act_http_query(req, "jsonp");
    if (!*cb || jsonp_name_valid(*cb)) return 0;
    act_http_respond_text(req, 400, "Invalid jsonp callback name");
    return -EINVAL;
}

void act_http_respond_json(act_http_req *req, int status, act_buf *json)
{
    const char *cb;
    if (jsonp_callback(req, &cb) != 0) {
        act_buf_reset(json);
        return;
    }
    if (cb) {
        act_buf wrapped = {0};
        act_buf_printf(&wrapped, "%s(", cb);
        act_buf_append(&wrapped, json->data, json->len);
        act_buf_puts(&wrapped, ");");
        act_http_respond(req, status, "text/javascript", wrapped.data, wrapped.len, NULL);
        act_buf_free(&wrapped);
    } else {
        act_http_respond(req, status, "application/json", json->data, json->len,
                         "Access-Control-Allow-Origin: *\r\n");
    }
    act_buf_reset(json);
}

void act_http_respond_text(act_http_req *req, int status, const char *text)
{
    act_http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

/* ---- produced bodies --------------------------------------------------------------------- */

void act__pull_free(act_pull *pl)
{
    if (!pl) return;
    if (pl->p.release) pl->p.release(pl->p.ctx);
    free(pl);
}

void act_http_respond_stream(act_http_req *req, int status, const char *content_type,
                             int64_t length, const char *extra_headers,
                             const act_http_producer *p)
{
    act_pull *pl = act_calloc(1, sizeof *pl);
    pl->p = *p;
    pl->left = length < 0 ? -1 : length;
    pl->chunked = length < 0 && !req->http10; /* HTTP/1.0 has no chunks: closing ends it */
    bool close = !req->keep_alive || (length < 0 && req->http10);
    act_buf head = {0};
    format_head(&head, status, content_type, pl->left, pl->chunked, extra_headers, !close);
    send_reply(req, &head, false, close, pl);
    act_buf_free(&head);
    act__http_req_free(req);
}

/* A JSONP body: "name(" + the inner producer's JSON + ");". */
typedef struct jsonp_body {
    act_http_producer inner;
    bool opened;
    char name[];
} jsonp_body;

static int jsonp_produce(void *ctx, act_buf *out, size_t room)
{
    jsonp_body *j = ctx;
    if (!j->opened) {
        act_buf_printf(out, "%s(", j->name);
        j->opened = true;
    }
    int rc = j->inner.produce(j->inner.ctx, out, room);
    if (rc == 1) act_buf_puts(out, ");");
    return rc;
}

static void jsonp_release(void *ctx)
{
    jsonp_body *j = ctx;
    if (j->inner.release) j->inner.release(j->inner.ctx);
    free(j);
}

void act_http_respond_json_stream(act_http_req *req, int status, const act_http_producer *p)
{
    const char *cb;
    if (jsonp_callback(req, &cb) != 0) {
        if (p->release) p->release(p->ctx);
        return;
    }
    if (!cb) {
        act_http_respond_stream(req, status, "application/json", -1,
                                "Access-Control-Allow-Origin: *\r\n", p);
        return;
    }
    size_t n = strlen(cb) + 1;
    jsonp_body *j = act_malloc(sizeof *j + n);
    j->inner = *p;
    j->opened = false;
    memcpy(j->name, cb, n);
    act_http_producer wrapped = {.produce = jsonp_produce, .release = jsonp_release, .ctx = j};
    act_http_respond_stream(req, status, "text/javascript", -1, NULL, &wrapped);
}

/* ---- streams ----------------------------------------------------------------------------- */

struct act_http_stream {
    uint64_t conn_id;
};

act_http_stream *act_http_stream_open(act_http_req *req, const char *content_type)
{
    ACT_CHECK(act__current_loop == &act__rt->loops[0]);
    act_buf head = {0};
    act_buf_printf(&head,
                   "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                   "Access-Control-Allow-Origin: *\r\nCache-Control: no-cache\r\n\r\n",
                   content_type);
    send_reply(req, &head, true, false, NULL);
    act_buf_free(&head);
    act_http_stream *s = act_malloc(sizeof *s);
    s->conn_id = req->conn_id;
    act__http_req_free(req);
    return s;
}

int act_http_stream_write(act_http_stream *s, const void *data, size_t len)
{
    if (!len) return 0;
    return act__transport_stream_write(s->conn_id, data, len, false);
}

size_t act__http_stream_room(const act_http_stream *s)
{
    return act__transport_stream_room(s->conn_id);
}

void act_http_stream_close(act_http_stream *s)
{
    act__transport_stream_write(s->conn_id, NULL, 0, true);
    free(s);
}
