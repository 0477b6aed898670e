/*
 * golden.c - the golden messages of golden.h. Each builder mirrors a message of
 * tests/go/wirecheck/golden.go field for field; the hex is that program's output.
 */
#include "tests/support/golden.h"

#include <stdio.h>
#include <string.h>

#define FRAMEWORK_ID "20150113-142013-16842879-5050-5237-0000"
#define SLAVE_ID "20150113-142013-16842879-5050-5237-S0"

static void scalar(wire_resource *r, const char *name, double v, wire_msg *m)
{
    r->name = (char *)name;
    r->type = WIRE_VALUE_SCALAR;
    r->scalar = wire_alloc(m, sizeof *r->scalar);
    r->scalar->value = v;
}

static wire_bytes bytes(wire_msg *m, const void *data, size_t n)
{
    wire_bytes b = {wire_alloc(m, n + 1), n};
    memcpy(b.data, data, n);
    return b;
}

static wire_msg *register_framework(void)
{
    wire_msg *m = wire_new(WIRE_DESC(register_framework_message));
    wire_framework_info *f = &((wire_register_framework_message *)m->root)->framework;
    f->user = "";
    f->name = "go-test";
    f->has_failover_timeout = true;
    f->failover_timeout = 3600.5;
    f->has_checkpoint = true;
    f->checkpoint = true;
    f->has_hostname = true;
    f->hostname = "node1";
    f->has_principal = true;
    f->principal = "alice";
    return m;
}

static wire_msg *status_update(void)
{
    static const uint8_t uuid[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    wire_msg *m = wire_new(WIRE_DESC(status_update_message));
    wire_status_update_message *msg = m->root;
    wire_status_update *u = &msg->update;
    u->framework_id.value = FRAMEWORK_ID;
    u->executor_id = wire_alloc(m, sizeof *u->executor_id);
    u->executor_id->value = "web-executor";
    u->slave_id = wire_alloc(m, sizeof *u->slave_id);
    u->slave_id->value = SLAVE_ID;
    wire_task_status *s = &u->status;
    s->task_id.value = "web-1";
    s->state = WIRE_TASK_RUNNING;
    s->has_message = true;
    s->message = "started";
    s->has_source = true;
    s->source = WIRE_SOURCE_EXECUTOR;
    s->has_reason = true;
    s->reason = WIRE_REASON_RECONCILIATION;
    s->has_data = true;
    s->data = bytes(m, "\x00\x01\xff", 3);
    s->slave_id = u->slave_id;
    s->executor_id = u->executor_id;
    s->has_timestamp = true;
    s->timestamp = 1421176813.5;
    s->has_healthy = true;
    s->healthy = true;
    u->timestamp = 1421176813.5;
    u->uuid = bytes(m, uuid, sizeof uuid);
    u->has_latest_state = true;
    u->latest_state = WIRE_TASK_STAGING;
    msg->has_pid = true;
    msg->pid = "executor(1)@10.0.0.2:41234";
    return m;
}

static void command_task(wire_msg *m, wire_task_info *t)
{
    t->name = "sleep";
    t->task_id.value = "t1";
    t->slave_id.value = SLAVE_ID;
    t->resources = wire_alloc_array(m, WIRE_DESC(resource), 3);
    t->resources_count = 3;
    scalar(&t->resources[0], "cpus", 0.1, m);
    scalar(&t->resources[1], "mem", 32, m);
    wire_resource *ports = &t->resources[2];
    ports->name = "ports";
    ports->type = WIRE_VALUE_RANGES;
    ports->ranges = wire_alloc(m, sizeof *ports->ranges);
    ports->ranges->range = wire_alloc(m, sizeof *ports->ranges->range);
    ports->ranges->range_count = 1;
    ports->ranges->range[0] = (wire_value_range){31000, 31001};
    wire_command_info *c = t->command = wire_alloc_array(m, WIRE_DESC(command_info), 1);
    c->uris = wire_alloc_array(m, WIRE_DESC(command_uri), 1);
    c->uris_count = 1;
    c->uris[0].value = "http://x/y.tgz";
    c->uris[0].has_executable = true;
    c->uris[0].has_extract = true;
    c->environment = wire_alloc(m, sizeof *c->environment);
    c->environment->variables = wire_alloc(m, sizeof *c->environment->variables);
    c->environment->variables_count = 1;
    c->environment->variables[0] = (wire_environment_variable){"A", "1"};
    c->has_value = true;
    c->value = "sleep 1";
    c->has_shell = true;
    t->has_data = true;
    t->data = bytes(m, "d", 1);
}

static void executor_task(wire_msg *m, wire_task_info *t)
{
    t->name = "go";
    t->task_id.value = "t2";
    t->slave_id.value = SLAVE_ID;
    wire_executor_info *e = t->executor = wire_alloc_array(m, WIRE_DESC(executor_info), 1);
    e->executor_id.value = "e1";
    e->framework_id = wire_alloc(m, sizeof *e->framework_id);
    e->framework_id->value = FRAMEWORK_ID;
    e->command.has_value = true;
    e->command.value = "./executor";
    e->resources = wire_alloc_array(m, WIRE_DESC(resource), 1);
    e->resources_count = 1;
    scalar(&e->resources[0], "cpus", 0.05, m);
    e->has_name = true;
    e->name = "go executor";
}

static wire_msg *launch_tasks(void)
{
    wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
    wire_launch_tasks_message *l = m->root;
    l->framework_id.value = FRAMEWORK_ID;
    l->tasks = wire_alloc_array(m, WIRE_DESC(task_info), 2);
    l->tasks_count = 2;
    command_task(m, &l->tasks[0]);
    executor_task(m, &l->tasks[1]);
    l->filters.has_refuse_seconds = true;
    l->filters.refuse_seconds = 1;
    l->offer_ids = wire_alloc_array(m, WIRE_DESC(offer_id), 2);
    l->offer_ids_count = 2;
    l->offer_ids[0].value = "O1";
    l->offer_ids[1].value = "O2";
    return m;
}

static wire_msg *exited_executor(void)
{
    wire_msg *m = wire_new(WIRE_DESC(exited_executor_message));
    wire_exited_executor_message *e = m->root;
    e->slave_id.value = SLAVE_ID;
    e->framework_id.value = FRAMEWORK_ID;
    e->executor_id.value = "e1";
    e->status = -1;
    return m;
}

static wire_msg *resource_offers(void)
{
    wire_msg *m = wire_new(WIRE_DESC(resource_offers_message));
    wire_resource_offers_message *r = m->root;
    r->offers = wire_alloc_array(m, WIRE_DESC(offer), 1);
    r->offers_count = 1;
    wire_offer *o = &r->offers[0];
    o->id.value = "O1";
    o->framework_id.value = FRAMEWORK_ID;
    o->slave_id.value = SLAVE_ID;
    o->hostname = "node1";
    o->resources = wire_alloc_array(m, WIRE_DESC(resource), 3);
    o->resources_count = 3;
    scalar(&o->resources[0], "cpus", 4, m);
    scalar(&o->resources[1], "disk", 1024, m);
    o->resources[1].has_role = true;
    o->resources[1].role = "prod";
    wire_resource *set = &o->resources[2];
    set->name = "disks";
    set->type = WIRE_VALUE_SET;
    set->set = wire_alloc(m, sizeof *set->set);
    set->set->item = wire_alloc(m, 2 * sizeof(char *));
    set->set->item[0] = "a";
    set->set->item[1] = "b";
    set->set->item_count = 2;
    o->attributes = wire_alloc_array(m, WIRE_DESC(attribute), 2);
    o->attributes_count = 2;
    o->attributes[0].name = "rack";
    o->attributes[0].type = WIRE_VALUE_TEXT;
    o->attributes[0].text = wire_alloc(m, sizeof *o->attributes[0].text);
    o->attributes[0].text->value = "r1";
    o->attributes[1].name = "level";
    o->attributes[1].type = WIRE_VALUE_SCALAR;
    o->attributes[1].scalar = wire_alloc(m, sizeof *o->attributes[1].scalar);
    o->attributes[1].scalar->value = 10;
    r->pids = wire_alloc(m, sizeof(char *));
    r->pids[0] = "slave(1)@127.0.0.1:5051";
    r->pids_count = 1;
    return m;
}

static wire_msg *health_check(void)
{
    wire_msg *m = wire_new(WIRE_DESC(health_check));
    wire_health_check *h = m->root;
    h->http = wire_alloc_array(m, WIRE_DESC(health_check_http), 1);
    h->http->port = 8080;
    h->http->has_path = true;
    h->http->path = "/health";
    h->http->statuses = wire_alloc(m, 2 * sizeof(uint32_t));
    h->http->statuses[0] = 200;
    h->http->statuses[1] = 204;
    h->http->statuses_count = 2;
    h->has_delay_seconds = true;
    h->delay_seconds = 1;
    h->has_consecutive_failures = true;
    h->consecutive_failures = 2;
    return m;
}

const tg_golden tg_golden_msgs[] = {
    {"mesos.internal.RegisterFrameworkMessage",
         "0a240a001207676f2d7465737421000000000021ac4028013a056e6f6465314205616c696365",
     register_framework},
    {"mesos.internal.StatusUpdateMessage",
         "0ae4010a290a2732303135303131332d3134323031332d31363834323837392d353035302d353233372d3030"
         "3030120e0a0c7765622d6578656375746f721a270a2532303135303131332d3134323031332d313638343238"
         "37392d353035302d353233372d533022610a070a057765622d3110011a030001ff2207737461727465642a27"
         "0a2532303135303131332d3134323031332d31363834323837392d353035302d353233372d533031000060fb"
         "5b2dd5413a0e0a0c7765622d6578656375746f7240014802500929000060fb5b2dd541321000010203040506"
         "0708090a0b0c0d0e0f3806121a6578656375746f722831294031302e302e302e323a3431323334",
     status_update},
    {"mesos.internal.LaunchTasksMessage",
         "0a290a2732303135303131332d3134323031332d31363834323837392d353035302d353233372d303030301a"
         "a6010a05736c65657012040a0274311a270a2532303135303131332d3134323031332d31363834323837392d"
         "353035302d353233372d533022130a046370757310001a09099a9999999999b93f22120a036d656d10001a09"
         "09000000000000404022150a05706f7274731001220a0a080898f2011099f2013201643a2b0a140a0e687474"
         "703a2f2f782f792e74677a1000180112080a060a01411201311a07736c656570203130011a96010a02676f12"
         "040a0274321a270a2532303135303131332d3134323031332d31363834323837392d353035302d353233372d"
         "53302a610a040a0265312a130a046370757310001a09099a9999999999a93f3a0c1a0a2e2f6578656375746f"
         "7242290a2732303135303131332d3134323031332d31363834323837392d353035302d353233372d30303030"
         "4a0b676f206578656375746f722a0909000000000000f03f32040a024f3132040a024f32",
     launch_tasks},
    {"mesos.internal.ExitedExecutorMessage",
         "0a270a2532303135303131332d3134323031332d31363834323837392d353035302d353233372d533012290a"
         "2732303135303131332d3134323031332d31363834323837392d353035302d353233372d303030301a040a02"
         "653120ffffffffffffffffff01",
     exited_executor},
    {"mesos.internal.ResourceOffersMessage",
         "0aca010a040a024f3112290a2732303135303131332d3134323031332d31363834323837392d353035302d35"
         "3233372d303030301a270a2532303135303131332d3134323031332d31363834323837392d353035302d3532"
         "33372d533022056e6f6465312a130a046370757310001a090900000000000010402a190a046469736b10001a"
         "09090000000000009040320470726f642a110a056469736b7310022a060a01610a01623a0e0a047261636b10"
         "032a040a0272313a140a056c6576656c10001a090900000000000024401217736c617665283129403132372e"
         "302e302e313a35303531",
     resource_offers},
    {"mesos.HealthCheck",
         "0a1208903f12072f6865616c746820c80120cc0111000000000000f03f2802",
     health_check},
};

const size_t tg_golden_count = sizeof tg_golden_msgs / sizeof tg_golden_msgs[0];

bool tg_unhex(const char *hex, act_buf *out)
{
    act_buf_reset(out);
    for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
        unsigned v;
        if (sscanf(hex + i, "%2x", &v) != 1) return false;
        act_buf_putc(out, (char)v);
    }
    return strlen(hex) % 2 == 0;
}

void tg_hex(const void *data, size_t n, act_buf *out)
{
    act_buf_puts(out, ""); /* a string even when n is 0 */
    for (size_t i = 0; i < n; i++) act_buf_printf(out, "%02x", ((const uint8_t *)data)[i]);
}
