/*
 * fuzz_http.c - libFuzzer target over the runtime's HTTP framing and message dispatch: the
 * input is fed, in two reads split where its first byte says, to an incoming connection of a
 * real (unstarted) runtime whose loop is then run until idle. Messages reach a test actor,
 * requests reach its routes or the built-in ones, and nothing may crash, leak, or allocate
 * much beyond the input.
 */
#include "actor/actor.h"

#include <stdint.h>
#include <string.h>

int act__transport_fuzz_feed(const uint8_t *data, size_t n, size_t split);
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

static void setup(void)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size == 0) return 0;
    act__transport_fuzz_feed(data + 1, size - 1, data[0] * (size - 1) / 255);
    act__fuzz_run_until_idle();
    return 0;
}
