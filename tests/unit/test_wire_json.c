/*
 * test_wire_json.c - JSON out and in. Every schema type renders JSON that jansson parses; the
 * Offer, TaskStatus, Task and FrameworkInfo renderings match, byte for byte, what Mesos 0.22
 * prints for the same values; and JSON flags (ACLs, credentials, rate limits, container info)
 * parse into messages with clear errors.
 *
 * Where the golden text comes from (Mesos 0.22):
 *   - stout's JSON::Protobuf (3rdparty/.../stout/protobuf.hpp): only fields that are set
 *     (Reflection::ListFields), enums by name, bytes as plain strings, nested messages as objects.
 *   - stout's JSON::Object is a std::map, so keys print sorted; numbers print with
 *     std::setprecision(15); strings escape '"', '\\', '/', and control characters (json.hpp).
 *   - model(Resources), model(TaskStatus), model(Task) in src/common/http.cpp; model(Offer) and
 *     model(Framework) in src/master/http.cpp.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

#define MASTER "20150113-142013-16842879-5050-5237"

/* Renders with a stout-like writer ('/' escaped). */
static char *render(void (*fn)(act_json *, const void *), const void *obj)
{
    act_buf b = {0};
    act_json j;
    act_json_init(&j, &b);
    j.escape_slash = true;
    fn(&j, obj);
    return act_buf_detach(&b, NULL);
}

static void assert_json(char *got, const char *expect)
{
    ck_assert_str_eq(got, expect);
    json_error_t e;
    json_t *v = json_loads(got, 0, &e);
    ck_assert_msg(v != NULL, "invalid JSON: %s", e.text);
    json_decref(v);
    free(got);
}

/* ---- every type -------------------------------------------------------------------------- */

START_TEST(test_every_type_renders_json_that_parses)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        for (uint64_t seed = 1; seed <= 4; seed++) {
            uint64_t rng = seed * 104729 + i;
            wire_msg *m = wire_new(d);
            wire_random_fill(m, d, m->root, &rng);
            char *text = wire_to_json(d, m->root);
            json_error_t e;
            /* uint64 values past 2^63 are exact JSON integers jansson only reads as reals */
            json_t *v = json_loads(text, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);
            ck_assert_msg(v != NULL && json_is_object(v), "%s: %s in %s", wire_type_name(d), e.text,
                          text);
            json_decref(v);
            free(text);
            wire_msg_free(m);
        }
    }
}
END_TEST

/* ---- fixtures ---------------------------------------------------------------------------- */

static wire_resource resources[4];
static wire_value_scalar cpus = {4}, mem = {1024}, disk = {2048};
static wire_value_range port_range = {31000, 32000};
static wire_value_ranges ports = {&port_range, 1};

static void make_resources(void)
{
    const char *names[] = {"cpus", "mem", "disk", "ports"};
    for (int i = 0; i < 4; i++) {
        wire_init(WIRE_DESC(resource), &resources[i]);
        resources[i].name = (char *)names[i];
        resources[i].has_role = true;
        resources[i].role = "*";
        resources[i].type = i < 3 ? WIRE_VALUE_SCALAR : WIRE_VALUE_RANGES;
    }
    resources[0].scalar = &cpus;
    resources[1].scalar = &mem;
    resources[2].scalar = &disk;
    resources[3].ranges = &ports;
}

static void make_offer(wire_offer *o)
{
    make_resources();
    wire_init(WIRE_DESC(offer), o);
    o->id.value = MASTER "-O0";
    o->framework_id.value = MASTER "-0000";
    o->slave_id.value = MASTER "-S0";
    o->hostname = "host1";
    o->resources = resources;
    o->resources_count = 4;
}

static void make_status(wire_task_status *s, wire_executor_id *e, wire_slave_id *sl)
{
    wire_init(WIRE_DESC(task_status), s);
    s->task_id.value = "t1";
    s->state = WIRE_TASK_RUNNING;
    s->has_message = true;
    s->message = "ok";
    s->has_data = true;
    s->data = (wire_bytes){(uint8_t *)"hi", 2};
    sl->value = MASTER "-S0";
    s->slave_id = sl;
    e->value = "e1";
    s->executor_id = e;
    s->has_timestamp = true;
    s->timestamp = 1421176813.5;
    s->has_healthy = true;
    s->healthy = true;
    s->has_source = true;
    s->source = WIRE_SOURCE_EXECUTOR;
}

static wire_framework_id fw_id = {MASTER "-0000"};

static void make_framework(wire_framework_info *fi)
{
    wire_init(WIRE_DESC(framework_info), fi);
    fi->user = "root";
    fi->name = "marathon";
    fi->id = &fw_id;
    fi->has_failover_timeout = true;
    fi->failover_timeout = 604800;
    fi->has_checkpoint = true;
    fi->checkpoint = true;
    fi->has_role = true;
    fi->role = "prod";
    fi->has_hostname = true;
    fi->hostname = "sched.example.com";
    fi->has_principal = true;
    fi->principal = "marathon";
    fi->has_webui_url = true;
    fi->webui_url = "http://sched.example.com:8080";
}

/* ---- golden: what Mesos 0.22 prints ------------------------------------------------------ */

static void offer_model(act_json *j, const void *o)
{
    wire_json_model_offer(j, o);
}
static void offer_proto(act_json *j, const void *o)
{
    wire_json(j, WIRE_DESC(offer), o);
}
static void status_model(act_json *j, const void *s)
{
    wire_json_model_task_status(j, s);
}
static void status_proto(act_json *j, const void *s)
{
    wire_json(j, WIRE_DESC(task_status), s);
}
static void framework_proto(act_json *j, const void *f)
{
    wire_json(j, WIRE_DESC(framework_info), f);
}

START_TEST(test_offer_json_matches_mesos)
{
    wire_offer o;
    make_offer(&o);
    /* master/http.cpp model(Offer) + common/http.cpp model(Resources), as in state.json */
    assert_json(render(offer_model, &o),
                "{\"framework_id\":\"" MASTER "-0000\",\"id\":\"" MASTER "-O0\","
                "\"resources\":{\"cpus\":4,\"disk\":2048,\"mem\":1024,\"ports\":\"[31000-32000]\"},"
                "\"slave_id\":\"" MASTER "-S0\"}");
    /* JSON::Protobuf(offer) */
    assert_json(
        render(offer_proto, &o),
        "{\"framework_id\":{\"value\":\"" MASTER "-0000\"},\"hostname\":\"host1\","
        "\"id\":{\"value\":\"" MASTER "-O0\"},\"resources\":["
        "{\"name\":\"cpus\",\"role\":\"*\",\"scalar\":{\"value\":4},\"type\":\"SCALAR\"},"
        "{\"name\":\"mem\",\"role\":\"*\",\"scalar\":{\"value\":1024},\"type\":\"SCALAR\"},"
        "{\"name\":\"disk\",\"role\":\"*\",\"scalar\":{\"value\":2048},\"type\":\"SCALAR\"},"
        "{\"name\":\"ports\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":32000}]},"
        "\"role\":\"*\",\"type\":\"RANGES\"}],"
        "\"slave_id\":{\"value\":\"" MASTER "-S0\"}}");
}
END_TEST

START_TEST(test_task_status_json_matches_mesos)
{
    wire_task_status s;
    wire_executor_id e;
    wire_slave_id sl;
    make_status(&s, &e, &sl);
    assert_json(render(status_model, &s),
                "{\"state\":\"TASK_RUNNING\",\"timestamp\":1421176813.5}");
    assert_json(
        render(status_proto, &s),
        "{\"data\":\"hi\",\"executor_id\":{\"value\":\"e1\"},\"healthy\":true,\"message\":\"ok\","
        "\"slave_id\":{\"value\":\"" MASTER "-S0\"},\"source\":\"SOURCE_EXECUTOR\","
        "\"state\":\"TASK_RUNNING\",\"task_id\":{\"value\":\"t1\"},\"timestamp\":1421176813.5}");
}
END_TEST

START_TEST(test_framework_info_json_matches_mesos)
{
    wire_framework_info fi;
    make_framework(&fi);
    assert_json(
        render(framework_proto, &fi),
        "{\"checkpoint\":true,\"failover_timeout\":604800,\"hostname\":\"sched.example.com\","
        "\"id\":{\"value\":\"" MASTER "-0000\"},\"name\":\"marathon\",\"principal\":\"marathon\","
        "\"role\":\"prod\",\"user\":\"root\",\"webui_url\":\"http:\\/\\/sched.example.com:8080\"}");
}
END_TEST

/* A task as the master keeps it, for model(Task) and inside the framework model. */
static wire_task task;
static wire_task_status task_status;
static wire_label label = {"k", true, "v"};
static wire_labels labels = {&label, 1};
static wire_value_scalar one_cpu = {1}, small_mem = {128};
static wire_resource task_res[2];

static void make_task(void)
{
    wire_init(WIRE_DESC(task), &task);
    task.name = "t1-name";
    task.task_id.value = "t1";
    task.framework_id.value = MASTER "-0000";
    task.slave_id.value = MASTER "-S0";
    task.state = WIRE_TASK_RUNNING;
    for (int i = 0; i < 2; i++) {
        wire_init(WIRE_DESC(resource), &task_res[i]);
        task_res[i].name = i ? "mem" : "cpus";
        task_res[i].scalar = i ? &small_mem : &one_cpu;
    }
    task.resources = task_res;
    task.resources_count = 2;
    wire_init(WIRE_DESC(task_status), &task_status);
    task_status.task_id.value = "t1";
    task_status.state = WIRE_TASK_RUNNING;
    task_status.has_timestamp = true;
    task_status.timestamp = 1421176814;
    task.statuses = &task_status;
    task.statuses_count = 1;
    task.labels = &labels;
}

#define TASK_JSON                                                                                  \
    "{\"executor_id\":\"\",\"framework_id\":\"" MASTER "-0000\",\"id\":\"t1\","                    \
    "\"labels\":[{\"key\":\"k\",\"value\":\"v\"}],\"name\":\"t1-name\","                           \
    "\"resources\":{\"cpus\":1,\"disk\":0,\"mem\":128},\"slave_id\":\"" MASTER "-S0\","            \
    "\"state\":\"TASK_RUNNING\",\"statuses\":[{\"state\":\"TASK_RUNNING\",\"timestamp\":"          \
    "1421176814}]}"

static void task_model(act_json *j, const void *t)
{
    wire_json_model_task(j, t);
}

START_TEST(test_task_json_matches_mesos)
{
    make_task();
    assert_json(render(task_model, &task), TASK_JSON);
}
END_TEST

/* The task writer (straight into the buffer, state.json's hot path) against a reference
 * built field by field with jansson from the same task: every field, strings that need
 * escaping (quotes, backslashes, slashes, control characters, UTF-8), resources of every
 * kind (the fast path and the one that adds up roles), labels, discovery, statuses. A field
 * dropped, renamed or mis-escaped makes the two differ. */
static void resources_model_fn(act_json *j, const void *obj)
{
    wire_json_model_resources(j, obj);
}

static json_t *parsed(char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    ck_assert_msg(v != NULL, "%s in %s", e.text, text);
    free(text);
    return v;
}

static json_t *reference_task(const wire_task *t)
{
    json_t *o = json_object();
    if (t->discovery)
        json_object_set_new(o, "discovery",
                            parsed(wire_to_json(WIRE_DESC(discovery_info), t->discovery)));
    json_object_set_new(o, "executor_id",
                        json_string(t->executor_id ? t->executor_id->value : ""));
    json_object_set_new(o, "framework_id", json_string(t->framework_id.value));
    json_object_set_new(o, "id", json_string(t->task_id.value));
    json_t *ls = json_array();
    for (size_t i = 0; t->labels && i < t->labels->labels_count; i++)
        json_array_append_new(ls, parsed(wire_to_json(WIRE_DESC(label), &t->labels->labels[i])));
    json_object_set_new(o, "labels", ls);
    json_object_set_new(o, "name", json_string(t->name));
    res_set all = {0};
    ck_assert_int_eq(res_from_wire(t->resources, t->resources_count, &all, NULL, 0), 0);
    json_object_set_new(o, "resources", parsed(render(resources_model_fn, &all)));
    res_free(&all);
    json_object_set_new(o, "slave_id", json_string(t->slave_id.value));
    json_object_set_new(o, "state", json_string(wire_task_state_name(t->state)));
    json_t *statuses = json_array();
    for (size_t i = 0; i < t->statuses_count; i++) {
        json_t *st = json_object();
        json_object_set_new(st, "state", json_string(wire_task_state_name(t->statuses[i].state)));
        json_object_set_new(st, "timestamp", json_real(t->statuses[i].timestamp));
        json_array_append_new(statuses, st);
    }
    json_object_set_new(o, "statuses", statuses);
    return o;
}

static const char *const odd = "we\"ird\\ /name\n\t\x01\x1f\x7f caf\xc3\xa9 \xe2\x9c\x93";

static wire_msg *odd_task(const char *text, bool everything)
{
    wire_msg *m = wire_new(WIRE_DESC(task));
    wire_task *t = m->root;
    t->name = (char *)odd;
    t->task_id.value = "task/1 \"x\"";
    t->framework_id.value = MASTER "-0000";
    t->slave_id.value = MASTER "-S0";
    t->state = WIRE_TASK_FINISHED;
    res_set r = {0};
    ck_assert_int_eq(res_parse_text(text, "*", &r, NULL, 0), 0);
    res_to_wire(&r, m, &t->resources, &t->resources_count);
    res_free(&r);
    t->statuses = wire_alloc_array(m, WIRE_DESC(task_status), 3);
    const wire_task_state states[] = {WIRE_TASK_STARTING, WIRE_TASK_RUNNING, WIRE_TASK_FINISHED};
    const double times[] = {1421176813.25, 1421176813.375, 0.5};
    for (size_t i = 0; i < 3; i++) {
        t->statuses[i].state = states[i];
        t->statuses[i].has_timestamp = true;
        t->statuses[i].timestamp = times[i];
    }
    t->statuses_count = everything ? 3 : 0;
    if (!everything) return m;
    t->executor_id = wire_alloc(m, sizeof *t->executor_id);
    t->executor_id->value = "exec\\utor/\x02";
    t->labels = wire_alloc(m, sizeof *t->labels);
    t->labels->labels = wire_alloc_array(m, WIRE_DESC(label), 2);
    t->labels->labels_count = 2;
    t->labels->labels[0].key = "k/\"1\"";
    t->labels->labels[0].has_value = true;
    t->labels->labels[0].value = (char *)odd;
    t->labels->labels[1].key = "k2";
    t->discovery = wire_alloc(m, sizeof *t->discovery);
    wire_init(WIRE_DESC(discovery_info), t->discovery);
    t->discovery->visibility = WIRE_VISIBILITY_EXTERNAL;
    t->discovery->has_name = true;
    t->discovery->name = "svc \"a\"";
    return m;
}

START_TEST(test_task_writer_matches_a_reference)
{
    static const char *const res[] = {
        "cpus:0.1;mem:32;disk:64;ports:[31000-31005,31007-31009];gpus:2",   /* the fast path */
        "cpus(a):1.5;cpus(b):2;mem:1000.5;gpus:2;bugs:{c,a,b};myranges:[1-10];my\"res:3",
        "",
    };
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++)
        for (int everything = 0; everything < 2; everything++)
            for (int slash = 0; slash < 2; slash++) {
                wire_msg *m = odd_task(res[i], everything);
                act_buf b = {0};
                act_json j;
                act_json_init(&j, &b);
                j.escape_slash = slash;
                act_json_array_begin(&j); /* after another value: the comma is the writer's */
                act_json_uint(&j, 7);
                wire_json_model_task(&j, m->root);
                act_json_array_end(&j);
                for (const char *c = strchr(b.data, '/'); slash && c; c = strchr(c + 1, '/'))
                    ck_assert_msg(c[-1] == '\\', "'/' not escaped: %s", b.data);
                json_t *got = parsed(act_buf_detach(&b, NULL));
                json_t *want = reference_task(m->root);
                char *g = json_dumps(json_array_get(got, 1), JSON_SORT_KEYS);
                char *w = json_dumps(want, JSON_SORT_KEYS);
                ck_assert_msg(json_array_size(got) == 2 && json_equal(json_array_get(got, 1), want),
                              "%s (everything %d, slash %d):\n%s\nvs\n%s", res[i], everything,
                              slash, g, w);
                free(g);
                free(w);
                json_decref(got);
                json_decref(want);
                wire_msg_free(m);
            }
    /* bytes that are not UTF-8 go through as they are, as every string of the writer does */
    wire_msg *m = odd_task("cpus:1", false);
    ((wire_task *)m->root)->name = "bad \xc3\xff";
    char *text = render(task_model, m->root);
    ck_assert_msg(strstr(text, "\"name\":\"bad \xc3\xff\",\"resources\":{\"cpus\":1,") != NULL, "%s",
                  text);
    free(text);
    wire_msg_free(m);
}
END_TEST

/* Whether `json` holds "key": followed by s as the JSON writer escapes it. */
static bool holds_escaped(const char *json, const char *key, const char *s, bool slash)
{
    act_buf want = {0};
    act_buf_printf(&want, "\"%s\":", key);
    act_json_put_string(&want, s, strlen(s), slash);
    bool found = strstr(json, want.data) != NULL;
    act_buf_free(&want);
    return found;
}

/* Every byte that needs escaping, at every place of a name longer than 16 bytes, in a task's
 * name and a slave's hostname: the writers copy 8 bytes at a time while none of them does,
 * then a byte at a time. */
START_TEST(test_task_and_slave_writers_escape_every_byte_at_every_place)
{
    static const char specials[] = {'"', '\\', '/', '\n', 0x01, 0x1f, 0x7f};
    for (size_t k = 0; k < sizeof specials; k++)
        for (int at = 0; at < 20; at++)
            for (int slash = 0; slash < 2; slash++) {
                char name[21];
                memset(name, 'a', 20);
                name[20] = '\0';
                name[at] = specials[k];
                wire_msg *m = odd_task("cpus:1", false);
                ((wire_task *)m->root)->name = name;
                act_buf b = {0};
                act_json j;
                act_json_init(&j, &b);
                j.escape_slash = slash;
                wire_json_model_task(&j, m->root);
                ck_assert_msg(holds_escaped(b.data, "name", name, slash), "%s", b.data);
                json_t *got = parsed(act_buf_detach(&b, NULL));
                ck_assert_str_eq(json_string_value(json_object_get(got, "name")), name);
                json_decref(got);
                wire_msg_free(m);
                wire_slave_info si = {.hostname = name};
                wire_slave_view v = {.id = "S0", .pid = "slave(1)@10.0.0.2:5051", .info = &si};
                act_json_init(&j, &b);
                j.escape_slash = slash;
                wire_json_model_slave(&j, &v);
                ck_assert_msg(holds_escaped(b.data, "hostname", name, slash), "%s", b.data);
                got = parsed(act_buf_detach(&b, NULL));
                ck_assert_str_eq(json_string_value(json_object_get(got, "hostname")), name);
                json_decref(got);
            }
}
END_TEST

static void write_tasks(act_json *j, void *ctx)
{
    wire_json_model_task(j, &task);
}
static void write_offers(act_json *j, void *ctx)
{
    wire_json_model_offer(j, ctx);
}
static void framework_model(act_json *j, const void *v)
{
    wire_json_model_framework(j, v);
}

START_TEST(test_framework_model_matches_mesos)
{
    wire_framework_info fi;
    wire_offer o;
    make_framework(&fi);
    make_task();
    make_offer(&o);
    res_set used = {0}, offered = {0};
    ck_assert_int_eq(res_parse_text("cpus:1; mem:128", NULL, &used, NULL, 0), 0);
    ck_assert_int_eq(
        res_parse_text("cpus:3; mem:896; disk:2048; ports:[31000-32000]", NULL, &offered, NULL, 0),
        0);
    wire_framework_view v = {
        .id = MASTER "-0000",
        .info = &fi,
        .active = true,
        .registered_time = 1421176813.25,
        .used_resources = &used,
        .offered_resources = &offered,
        .tasks = write_tasks,
        .offers = write_offers,
        .ctx = &o,
    };
    /* master/http.cpp model(const Framework&) */
    assert_json(
        render(framework_model, &v),
        "{\"active\":true,\"checkpoint\":true,\"completed_tasks\":[],\"failover_timeout\":604800,"
        "\"hostname\":\"sched.example.com\",\"id\":\"" MASTER "-0000\",\"name\":\"marathon\","
        "\"offered_resources\":{\"cpus\":3,\"disk\":2048,\"mem\":896,\"ports\":\"[31000-32000]\"},"
        "\"offers\":[{\"framework_id\":\"" MASTER "-0000\",\"id\":\"" MASTER "-O0\","
        "\"resources\":{\"cpus\":4,\"disk\":2048,\"mem\":1024,\"ports\":\"[31000-32000]\"},"
        "\"slave_id\":\"" MASTER "-S0\"}],\"registered_time\":1421176813.25,"
        "\"resources\":{\"cpus\":4,\"disk\":2048,\"mem\":1024,\"ports\":\"[31000-32000]\"},"
        "\"role\":\"prod\",\"tasks\":[" TASK_JSON "],\"unregistered_time\":0,"
        "\"used_resources\":{\"cpus\":1,\"disk\":0,\"mem\":128},\"user\":\"root\","
        "\"webui_url\":\"http:\\/\\/sched.example.com:8080\"}");
    res_free(&used);
    res_free(&offered);
}
END_TEST

static void slave_model(act_json *j, const void *v)
{
    wire_json_model_slave(j, v);
}

START_TEST(test_slave_and_attribute_models_match_mesos)
{
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *si = m->root;
    si->hostname = "host1";
    make_resources();
    si->resources = resources;
    si->resources_count = 4;
    ck_assert_int_eq(attr_parse_text("rack:r1; level:10; ports:[1-2]; s:{a,b}; rack:r2", m,
                                     &si->attributes, &si->attributes_count, NULL, 0),
                     0);
    wire_slave_view v = {.id = MASTER "-S0",
                         .pid = "slave(1)@10.0.0.2:5051",
                         .info = si,
                         .active = true,
                         .registered_time = 1421176813,
                         .reregistered = true,
                         .reregistered_time = 1421176900};
    /* master/http.cpp model(const Slave&) + common/http.cpp model(Attributes) */
    assert_json(
        render(slave_model, &v),
        "{\"active\":true,\"attributes\":{\"level\":10,\"ports\":\"[1-2]\",\"rack\":\"r2\",\"s\":"
        "\"{a, b}\"},"
        "\"hostname\":\"host1\",\"id\":\"" MASTER "-S0\",\"pid\":\"slave(1)@10.0.0.2:5051\","
        "\"registered_time\":1421176813,\"reregistered_time\":1421176900,"
        "\"resources\":{\"cpus\":4,\"disk\":2048,\"mem\":1024,\"ports\":\"[31000-32000]\"}}");
    wire_msg_free(m);
}
END_TEST

static void resources_model(act_json *j, const void *obj)
{
    wire_json_model_resources(j, obj);
}

START_TEST(test_resources_model_shows_every_resource_exactly)
{
    res_set r = {0};
    ck_assert_int_eq(res_parse_text("cpus(a):1.5; cpus(b):2; mem:1000.5; gpus:2; "
                                    "bugs:{c,a,b}; myranges:[1-10]; myranges(b):[20-30]",
                                    "*", &r, NULL, 0),
                     0);
    /* custom resources by name, mem not floored, a name's roles summed or united */
    assert_json(render(resources_model, &r),
                "{\"bugs\":\"{a, b, c}\",\"cpus\":3.5,\"disk\":0,\"gpus\":2,"
                "\"mem\":1000.5,\"myranges\":\"[1-10, 20-30]\"}");
    res_free(&r);
    res_set none = {0};
    assert_json(render(resources_model, &none), "{\"cpus\":0,\"disk\":0,\"mem\":0}");
}
END_TEST

/* The writer's numbers and escapes, which every endpoint relies on. */
START_TEST(test_json_writer_numbers_and_escapes)
{
    act_buf b = {0};
    act_json j;
    act_json_init(&j, &b);
    act_json_array_begin(&j);
    act_json_int(&j, INT64_MIN);
    act_json_int(&j, -7);
    act_json_uint(&j, UINT64_MAX);
    act_json_double(&j, 0);
    act_json_double(&j, -0.0);
    act_json_double(&j, 1024);
    act_json_double(&j, -3);
    act_json_double(&j, 9007199254740992.0); /* 2^53: printed as %.15g */
    act_json_double(&j, 0.1);
    act_json_double(&j, 1796139631.84143);
    act_json_double(&j, 1e20);
    act_json_string(&j, "a\"b\\c/d\n\x01\x7f");
    act_json_array_end(&j);
    ck_assert_str_eq(b.data, "[-9223372036854775808,-7,18446744073709551615,0,-0,1024,-3,"
                             "9.00719925474099e+15,0.1,1796139631.84143,1e+20,"
                             "\"a\\\"b\\\\c/d\\n\\u0001\\u007f\"]");
    act_buf_reset(&b);
    act_json_init(&j, &b);
    j.escape_slash = true;
    act_json_string(&j, "master/elected");
    ck_assert_str_eq(b.data, "\"master\\/elected\"");
    act_buf_free(&b);
}
END_TEST

/* The escape of one byte, written the slow way. */
static void escape_byte_reference(act_buf *b, unsigned char c, bool slash)
{
    static const char named[][3] = {['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
                                    ['\b'] = "\\b", ['\f'] = "\\f"};
    if (c < sizeof named / sizeof named[0] && named[c][0])
        act_buf_puts(b, named[c]);
    else if (c < 0x20 || c == 0x7f)
        act_buf_printf(b, "\\u%04x", c);
    else if (c == '"' || c == '\\' || (c == '/' && slash))
        act_buf_printf(b, "\\%c", c);
    else
        act_buf_putc(b, (char)c);
}

/* Plain runs are skipped many bytes at a time: every byte value, at every position of a string
 * longer than such a run, in both styles, escapes as it does alone. */
START_TEST(test_json_escape_finds_every_special_byte_anywhere)
{
    char s[40];
    act_buf got = {0}, want = {0};
    for (int slash = 0; slash < 2; slash++)
        for (int c = 0; c < 256; c++)
            for (size_t at = 0; at < sizeof s; at++) {
                memset(s, 'a' + (int)(at % 26), sizeof s);
                s[sizeof s - 1] = (char)0xc3; /* bytes past 0x7f are written as they are */
                s[at] = (char)c;
                act_buf_reset(&got);
                act_buf_reset(&want);
                act_json_escape(&got, s, sizeof s, slash);
                for (size_t i = 0; i < sizeof s; i++)
                    escape_byte_reference(&want, (unsigned char)s[i], slash);
                ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                              "byte 0x%02x at %zu (slash %d): %s vs %s", c, at, slash, got.data,
                              want.data);
            }
    act_buf_free(&got);
    act_buf_free(&want);
}
END_TEST

/* Doubles are written without printf where the digits are certain; what is written must be
 * exactly what "%.15g" prints: timestamps, resource amounts, ties at the 15th digit, powers of
 * ten and their neighbours, and random values of every magnitude. */
static void expect_g15(double v)
{
    act_buf b = {0};
    act_json j;
    act_json_init(&j, &b);
    act_json_double(&j, v);
    char want[64];
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        snprintf(want, sizeof want, "%.0f", v);
    else
        snprintf(want, sizeof want, "%.15g", v);
    ck_assert_msg(strcmp(b.data, want) == 0, "%a: wrote %s, printf %s", v, b.data, want);
    act_buf_free(&b);
}

START_TEST(test_json_doubles_print_as_printf_does)
{
    unsigned seed = 12;
    for (int i = 0; i < 20000; i++) {
        expect_g15(1764612345.0 + rand_r(&seed) / (double)RAND_MAX); /* timestamps */
        expect_g15((double)(rand_r(&seed) % 100000) / 1000);       /* cpus, mem in milli */
        double m = rand_r(&seed) / (double)RAND_MAX;
        int e = rand_r(&seed) % 44 - 22;
        expect_g15((i & 1 ? -m : m) * pow(10, e));
        /* a tie, or nearly, at the 15th significant digit */
        expect_g15((double)(100000000000000LL + rand_r(&seed)) / 1e4 + 0.00005);
        expect_g15(nextafter(0.5 * pow(10, e), i & 1 ? 0 : 1));
    }
    for (int e = -20; e <= 20; e++) {
        double p = pow(10, e);
        expect_g15(p);
        expect_g15(nextafter(p, 0));
        expect_g15(nextafter(p, 1e300));
        expect_g15(-9.999999999999999 * p);
        expect_g15(9.9999999999999995 * p);
    }
    expect_g15(0.1);
    expect_g15(0.0001);
    expect_g15(0.00009999999999999999);
    expect_g15(999999999999999.9);
    expect_g15(99999999999999.99);
}
END_TEST

/* Resources as messages carry them print as the same resources held in a set do, whether
 * written straight from the message (each name once) or added up first. */
START_TEST(test_resources_from_messages_print_like_sets)
{
    static const char *const texts[] = {
        "cpus:0.5;mem:1000.5;disk:64",      "cpus:1;ports:[31000-31001,31005-31010]",
        "gpus:2;cpus(a):1;cpus(b):2",       "bugs:{b,a};mem:1",
        "cpus:0.0004;mem:32",               "",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        res_set s = {0};
        ck_assert_int_eq(res_parse_text(texts[i], "*", &s, NULL, 0), 0);
        wire_msg *m = wire_new(WIRE_DESC(task_info));
        wire_task_info *t = m->root;
        res_to_wire(&s, m, &t->resources, &t->resources_count);
        act_buf a = {0}, b = {0};
        act_json ja, jb;
        act_json_init(&ja, &a);
        act_json_init(&jb, &b);
        wire_json_model_resources(&ja, &s);
        wire_json_model_resources_wire(&jb, t->resources, t->resources_count);
        ck_assert_msg(strcmp(a.data, b.data) == 0, "%s: %s vs %s", texts[i], a.data, b.data);
        act_buf_free(&a);
        act_buf_free(&b);
        wire_msg_free(m);
        res_free(&s);
    }
}
END_TEST

START_TEST(test_bytes_and_invalid_text_escape_like_stout)
{
    wire_task_status s;
    wire_init(WIRE_DESC(task_status), &s);
    s.task_id.value = "caf\xc3\xa9";
    s.has_data = true;
    s.data = (wire_bytes){(uint8_t *)"\xff\x01/", 3};
    s.has_message = true;
    s.message = "bad \xc3";
    assert_json(
        render(status_proto, &s),
        "{\"data\":\"\\u00FF\\u0001\\/\",\"message\":\"bad \\u00C3\",\"state\":\"TASK_STAGING\","
        "\"task_id\":{\"value\":\"caf\xc3\xa9\"}}");
}
END_TEST

/* ---- JSON in ----------------------------------------------------------------------------- */

static wire_msg *from_json(const wire_desc *d, const char *text)
{
    wire_msg *m = NULL;
    char err[256] = "";
    int rc = wire_from_json(d, text, strlen(text), &m, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return m;
}

START_TEST(test_json_flags_parse_into_messages)
{
    wire_msg *m = from_json(
        WIRE_DESC(acls),
        "{\"permissive\":false,\"register_frameworks\":[{\"principals\":{\"values\":[\"a\",\"b\"]},"
        "\"roles\":{\"type\":\"ANY\"}}],\"run_tasks\":[{\"principals\":{\"type\":\"NONE\"},"
        "\"users\":{\"values\":\"root\"}}],\"unknown\":[1,2]}");
    wire_acls *acls = m->root;
    ck_assert(acls->has_permissive && !acls->permissive);
    ck_assert_uint_eq(acls->register_frameworks_count, 1);
    ck_assert_uint_eq(acls->register_frameworks[0].principals.values_count, 2);
    ck_assert_int_eq(acls->register_frameworks[0].roles.type, WIRE_ACL_ANY);
    ck_assert_str_eq(acls->run_tasks[0].users.values[0],
                     "root"); /* a scalar for a repeated field */
    wire_msg_free(m);

    m = from_json(WIRE_DESC(credentials),
                  "{\"credentials\":[{\"principal\":\"p\",\"secret\":\"s3cr3t\"}]}");
    ck_assert_uint_eq(((wire_credentials *)m->root)->credentials[0].secret.len, 6);
    wire_msg_free(m);

    m = from_json(WIRE_DESC(rate_limits),
                  "{\"limits\":[{\"principal\":\"p\",\"qps\":10,\"capacity\":100}],"
                  "\"aggregate_default_qps\":5.5}");
    wire_rate_limits *rl = m->root;
    ck_assert(rl->limits[0].qps == 10 && rl->limits[0].capacity == 100 &&
              rl->aggregate_default_qps == 5.5);
    wire_msg_free(m);

    m = from_json(WIRE_DESC(container_info),
                  "{\"type\":\"DOCKER\",\"docker\":{\"image\":\"busybox\","
                  "\"network\":\"BRIDGE\",\"port_mappings\":[{\"host_port\":31000,"
                  "\"container_port\":80}]},\"volumes\":[{\"container_path\":\"/data\","
                  "\"mode\":\"RW\"}]}");
    wire_container_info *ci = m->root;
    ck_assert_int_eq(ci->docker->network, WIRE_DOCKER_BRIDGE);
    ck_assert_uint_eq(ci->docker->port_mappings[0].container_port, 80);
    ck_assert_str_eq(ci->volumes[0].container_path, "/data");
    wire_msg_free(m);
}
END_TEST

START_TEST(test_bad_json_flags_are_clear_errors)
{
    static const struct {
        const char *json, *err;
        int rc;
    } cases[] = {
        {"{\"limits\":[{\"qps\":1}]}", "RateLimits.limits[0].principal: missing required field",
         WIRE_EMISSING},
        {"{\"limits\":[{\"principal\":7}]}",
         "RateLimits.limits[0].principal: expected a JSON string", WIRE_ETYPE},
        {"{\"limits\":[{\"principal\":\"p\",\"capacity\":-1}]}",
         "RateLimits.limits[0].capacity: integer out of range", WIRE_ERANGE},
        {"{\"limits\":[{\"principal\":\"p\",\"capacity\":1.5}]}",
         "RateLimits.limits[0].capacity: expected an integer", WIRE_ERANGE},
        {"[]", "RateLimits: expected a JSON object", WIRE_ETYPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wire_msg *m;
        char err[256];
        ck_assert_int_eq(wire_from_json(WIRE_DESC(rate_limits), cases[i].json,
                                        strlen(cases[i].json), &m, err, sizeof err),
                         cases[i].rc);
        ck_assert_str_eq(err, cases[i].err);
        ck_assert_ptr_null(m);
    }
    wire_msg *m;
    char err[256];
    ck_assert_int_eq(
        wire_from_json(WIRE_DESC(container_info), "{\"type\":\"LXC\"}", 14, &m, err, sizeof err),
        WIRE_EENUM);
    ck_assert_str_eq(err, "ContainerInfo.type: unknown mesos.ContainerInfo.Type value 'LXC'");
    ck_assert_int_eq(wire_from_json(WIRE_DESC(acls), "{\"permissive\":", 14, &m, err, sizeof err),
                     WIRE_EPARSE);
    ck_assert(strstr(err, "invalid JSON") != NULL);
}
END_TEST

Suite *wire_json_suite(void);
Suite *wire_json_suite(void)
{
    Suite *s = suite_create("wire_json");
    TCase *tc = tcase_create("json");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_every_type_renders_json_that_parses);
    tcase_add_test(tc, test_offer_json_matches_mesos);
    tcase_add_test(tc, test_task_status_json_matches_mesos);
    tcase_add_test(tc, test_framework_info_json_matches_mesos);
    tcase_add_test(tc, test_task_json_matches_mesos);
    tcase_add_test(tc, test_task_writer_matches_a_reference);
    tcase_add_test(tc, test_task_and_slave_writers_escape_every_byte_at_every_place);
    tcase_add_test(tc, test_framework_model_matches_mesos);
    tcase_add_test(tc, test_slave_and_attribute_models_match_mesos);
    tcase_add_test(tc, test_resources_model_shows_every_resource_exactly);
    tcase_add_test(tc, test_resources_from_messages_print_like_sets);
    tcase_add_test(tc, test_json_writer_numbers_and_escapes);
    tcase_add_test(tc, test_json_escape_finds_every_special_byte_anywhere);
    tcase_add_test(tc, test_json_doubles_print_as_printf_does);
    tcase_add_test(tc, test_bytes_and_invalid_text_escape_like_stout);
    tcase_add_test(tc, test_json_flags_parse_into_messages);
    tcase_add_test(tc, test_bad_json_flags_are_clear_errors);
    suite_add_tcase(s, tc);
    return s;
}
