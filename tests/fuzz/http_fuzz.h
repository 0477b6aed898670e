/*
 * http_fuzz.h - what the HTTP fuzz targets (fuzz_http over plain text, fuzz_https over TLS)
 * share: a real, unstarted runtime whose "echo" actor answers messages ("ping") and requests
 * ("hello") and is the default actor for short paths. Header-only: each target is one
 * program built from one file.
 */
#ifndef TESTS_FUZZ_HTTP_FUZZ_H
#define TESTS_FUZZ_HTTP_FUZZ_H

#include "actor/actor.h"

#include <stdint.h>
#include <stdlib.h>

void act__fuzz_run_until_idle(void);

static void on_ping(act_actor *self, const act_msg *m)
{
    if (!act_pid_is_none(&m->from)) act_send(self, &m->from, "pong", m->body, m->len);
}

static void on_hello(act_actor *self, act_http_req *req)
{
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_kv_string(&j, "path", act_http_path(req));
    act_json_kv_string(&j, "q", act_http_query(req, "q"));
    act_json_kv_string(&j, "ua", act_http_header(req, "User-Agent"));
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* The runtime (from the environment: TLS if LIBPROCESS_SSL_* says so) and its echo actor. */
static void http_fuzz_setup(void)
{
    act_log_set_level(ACT_LOG_FATAL);
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
}

#endif
