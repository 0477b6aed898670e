/*
 * wire_bench.c - the figures `make bench` reports for wire/, one JSON line each: a status update
 * encoded and decoded (ns) and a 100-offer ResourceOffersMessage encoded and decoded (us), each
 * in msgpack and in protobuf (".protobuf"), what the flight recorder spends reading a status
 * update's IDs (ns), and the allocator's hot resource operations (ns per op). Each figure runs
 * for about half a second.
 * wire.<message>.decode / .encode (ns) time one msgpack direction alone for each message on the
 * task path: the RunTaskMessage the fleet receives, the LaunchTasksMessage (4 tasks) and the
 * acknowledgement the master receives, the StatusUpdateMessage both see, and a
 * ResourceOffersMessage of 10 offers. For an exact count of instructions, run one figure a
 * fixed number of times under callgrind:
 *   WIRE_BENCH_ONLY=wire.run_task.decode WIRE_BENCH_ITERS=1000 \
 *     valgrind --tool=callgrind --toggle-collect=wire_decode build/bench/wire_bench
 * (the total Ir divided by 1,000; --toggle-collect=wire_encode for an .encode figure,
 * --toggle-collect=wire_decode_picked for wire.run_task.decode_picked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/wire.h"

#define TARGET_SECS 0.5

static volatile uint64_t sink;
static const char *only;  /* WIRE_BENCH_ONLY: run only the figures whose name starts so */
static uint64_t fixed;    /* WIRE_BENCH_ITERS: run each figure this many times, not for a time */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool wanted(const char *name)
{
    return !only || strncmp(name, only, strlen(only)) == 0;
}

static void report(const char *name, double value, const char *unit)
{
    printf("{\"bench\": \"%s\", \"value\": %.1f, \"unit\": \"%s\"}\n", name, value, unit);
    fflush(stdout);
}

/* Runs fn(ctx) in growing batches until TARGET_SECS have passed (or WIRE_BENCH_ITERS times);
 * returns seconds per call. */
static double measure(void (*fn)(void *), void *ctx)
{
    uint64_t n = 0, batch = 1;
    double start = now(), elapsed = 0;
    if (fixed) {
        for (n = 0; n < fixed; n++) fn(ctx);
        return (now() - start) / (double)n;
    }
    while (elapsed < TARGET_SECS) {
        for (uint64_t i = 0; i < batch; i++) fn(ctx);
        n += batch;
        batch *= 2;
        elapsed = now() - start;
    }
    return elapsed / (double)n;
}

/* ---- codec ------------------------------------------------------------------------------- */

typedef struct codec_case {
    const wire_desc *desc;
    const void *obj;
    act_buf buf;
    int (*encode)(const wire_desc *, const void *, act_buf *);
    int (*decode)(const wire_desc *, const void *, size_t, wire_msg **, char *, size_t);
} codec_case;

static void codec_once(void *arg)
{
    codec_case *c = arg;
    act_buf_reset(&c->buf);
    if (c->encode(c->desc, c->obj, &c->buf) != 0) abort();
    wire_msg *m;
    if (c->decode(c->desc, c->buf.data, c->buf.len, &m, NULL, 0) != 0) abort();
    sink += wire_msg_arena_bytes(m);
    wire_msg_free(m);
}

/* Measures fn(ctx) and reports it as `name`, scaled to unit, if the figure is wanted. */
static void figure(const char *name, void (*fn)(void *), void *ctx, double scale,
                   const char *unit)
{
    if (wanted(name)) report(name, measure(fn, ctx) * scale, unit);
}

/* The msgpack figure under `name`, the protobuf one under `name.protobuf`. */
static void codec_bench(const char *name, const wire_desc *desc, const void *obj, double scale,
                        const char *unit)
{
    codec_case mp = {desc, obj, {0}, wire_encode, wire_decode};
    codec_case pb = {desc, obj, {0}, wire_pb_encode, wire_pb_decode};
    char pb_name[128];
    snprintf(pb_name, sizeof pb_name, "%s.protobuf", name);
    figure(name, codec_once, &mp, scale, unit);
    figure(pb_name, codec_once, &pb, scale, unit);
    act_buf_free(&mp.buf);
    act_buf_free(&pb.buf);
}

static void encode_once(void *arg)
{
    codec_case *c = arg;
    act_buf_reset(&c->buf);
    if (wire_encode(c->desc, c->obj, &c->buf) != 0) abort();
}

static void decode_once(void *arg)
{
    codec_case *c = arg;
    wire_msg *m;
    if (wire_decode(c->desc, c->buf.data, c->buf.len, &m, NULL, 0) != 0) abort();
    sink += wire_msg_arena_bytes(m);
    wire_msg_free(m);
}

/* A RunTaskMessage decoded with the pick a hollow slave uses (slave/hollow.c). */
typedef struct picked_case {
    wire_pick *pick;
    act_buf buf;
} picked_case;

static void decode_picked_once(void *arg)
{
    picked_case *c = arg;
    wire_msg *m;
    if (wire_decode_picked(WIRE_MSGPACK, c->pick, c->buf.data, c->buf.len, &m, NULL, 0) != 0)
        abort();
    sink += wire_msg_arena_bytes(m);
    wire_msg_free(m);
}

/* wire.run_task.decode_picked (msgpack, ns): the fields a hollow slave reads, the rest
 * walked. */
static void picked_bench(const wire_msg *run_task)
{
    picked_case c = {wire_pick_new(WIRE_DESC(run_task_message),
                                   "framework_id, task.name, task.task_id, task.executor, "
                                   "task.resources, task.labels, task.data", NULL, 0),
                     {0}};
    if (!c.pick || wire_encode(WIRE_DESC(run_task_message), run_task->root, &c.buf) != 0) abort();
    figure("wire.run_task.decode_picked", decode_picked_once, &c, 1e9, "ns");
    act_buf_free(&c.buf);
    wire_pick_free(c.pick);
}

/* wire.<name>.encode and wire.<name>.decode (msgpack, ns): each direction alone. */
static void direction_bench(const char *name, const wire_desc *desc, const wire_msg *msg)
{
    codec_case c = {desc, msg->root, {0}, wire_encode, wire_decode};
    char fig[128];
    snprintf(fig, sizeof fig, "wire.%s.encode", name);
    figure(fig, encode_once, &c, 1e9, "ns");
    act_buf_reset(&c.buf);
    if (wire_encode(desc, msg->root, &c.buf) != 0) abort();
    snprintf(fig, sizeof fig, "wire.%s.decode", name);
    figure(fig, decode_once, &c, 1e9, "ns");
    act_buf_free(&c.buf);
}

static wire_msg *status_update(void)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update_message));
    wire_status_update_message *msg = m->root;
    wire_status_update *u = &msg->update;
    u->framework_id.value = "20150113-142013-16842879-5050-5237-0000";
    u->executor_id = wire_alloc(m, sizeof *u->executor_id);
    u->executor_id->value = "web-executor";
    u->slave_id = wire_alloc(m, sizeof *u->slave_id);
    u->slave_id->value = "20150113-142013-16842879-5050-5237-S0";
    u->status.task_id.value = "web.6f2c3e1a-9b1d-11e4-b4a9-0800200c9a66";
    u->status.state = WIRE_TASK_RUNNING;
    u->status.slave_id = u->slave_id;
    u->status.executor_id = u->executor_id;
    u->status.has_timestamp = true;
    u->status.timestamp = 1421176813.5;
    u->status.has_source = true;
    u->status.source = WIRE_SOURCE_EXECUTOR;
    u->timestamp = 1421176813.5;
    wire_uuid id;
    wire_uuid_random(&id);
    u->uuid.data = wire_alloc(m, 16);
    memcpy(u->uuid.data, id.bytes, 16);
    u->uuid.len = 16;
    msg->has_pid = true;
    msg->pid = "executor(1)@10.0.0.2:41234";
    return m;
}

static wire_msg *offers(int count)
{
    wire_msg *m = wire_new(WIRE_DESC(resource_offers_message));
    wire_resource_offers_message *msg = m->root;
    res_set r = {0};
    res_parse_text("cpus:8; mem:16384; disk:65536; ports:[31000-32000]", NULL, &r, NULL, 0);
    msg->offers = wire_alloc_array(m, WIRE_DESC(offer), (size_t)count);
    msg->offers_count = (size_t)count;
    msg->pids = wire_alloc(m, (size_t)count * sizeof(char *));
    msg->pids_count = (size_t)count;
    for (int i = 0; i < count; i++) {
        wire_offer *o = &msg->offers[i];
        char buf[WIRE_ID_MAX];
        o->id.value = wire_strdup(
            m, wire_id_offer(buf, sizeof buf, "20150113-142013-16842879-5050-5237", (uint64_t)i));
        o->framework_id.value = "20150113-142013-16842879-5050-5237-0000";
        o->slave_id.value = wire_strdup(
            m, wire_id_slave(buf, sizeof buf, "20150113-142013-16842879-5050-5237", (uint64_t)i));
        snprintf(buf, sizeof buf, "node%03d.example.com", i);
        o->hostname = wire_strdup(m, buf);
        res_to_wire(&r, m, &o->resources, &o->resources_count);
        attr_parse_text("rack:r1; os:rhel7", m, &o->attributes, &o->attributes_count, NULL, 0);
        snprintf(buf, sizeof buf, "slave(1)@10.0.%d.%d:5051", i / 250, i % 250);
        msg->pids[i] = wire_strdup(m, buf);
    }
    res_free(&r);
    return m;
}

/* A task as mesos-loadgen launches it: a command, its resources, its duration as a label. */
static void task_fill(wire_msg *m, wire_task_info *t, int n, res_set *r)
{
    char text[64];
    snprintf(text, sizeof text, "loadgen-7-%d", 100000 + n);
    t->name = wire_strdup(m, text);
    t->task_id.value = wire_strdup(m, text);
    t->slave_id.value = "20150113-142013-16842879-5050-5237-S4711";
    res_to_wire(r, m, &t->resources, &t->resources_count);
    t->command = wire_alloc(m, sizeof *t->command);
    wire_init(WIRE_DESC(command_info), t->command);
    t->command->has_value = true;
    t->command->value = "sleep 1.000";
    t->labels = wire_alloc(m, sizeof *t->labels);
    t->labels->labels = wire_alloc_array(m, WIRE_DESC(label), 1);
    t->labels->labels_count = 1;
    t->labels->labels[0].key = "duration";
    t->labels->labels[0].has_value = true;
    t->labels->labels[0].value = "1.000secs";
}

static wire_msg *launch_tasks(int ntasks)
{
    wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
    wire_launch_tasks_message *msg = m->root;
    res_set r = {0};
    res_parse_text("cpus:0.1; mem:32", NULL, &r, NULL, 0);
    msg->framework_id.value = "20150113-142013-16842879-5050-5237-0007";
    msg->tasks = wire_alloc_array(m, WIRE_DESC(task_info), (size_t)ntasks);
    msg->tasks_count = (size_t)ntasks;
    for (int i = 0; i < ntasks; i++) task_fill(m, &msg->tasks[i], i, &r);
    msg->filters.has_refuse_seconds = true;
    msg->filters.refuse_seconds = 0;
    msg->offer_ids = wire_alloc_array(m, WIRE_DESC(offer_id), 1);
    msg->offer_ids_count = 1;
    msg->offer_ids[0].value = "20150113-142013-16842879-5050-5237-O123456";
    res_free(&r);
    return m;
}

static wire_msg *run_task(void)
{
    wire_msg *m = wire_new(WIRE_DESC(run_task_message));
    wire_run_task_message *msg = m->root;
    res_set r = {0};
    res_parse_text("cpus:0.1; mem:32", NULL, &r, NULL, 0);
    msg->framework_id.value = "20150113-142013-16842879-5050-5237-0007";
    wire_framework_info *fi = &msg->framework;
    fi->user = "root";
    fi->name = "loadgen-7";
    fi->id = wire_alloc(m, sizeof *fi->id);
    fi->id->value = msg->framework_id.value;
    fi->has_failover_timeout = true;
    fi->failover_timeout = 0;
    fi->has_hostname = true;
    fi->hostname = "localhost";
    msg->pid = "scheduler-7@127.0.0.1:41234";
    task_fill(m, &msg->task, 0, &r);
    res_free(&r);
    return m;
}

static wire_msg *ack(const wire_status_update *u)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update_acknowledgement_message));
    wire_status_update_acknowledgement_message *a = m->root;
    a->slave_id = *u->slave_id;
    a->framework_id = u->framework_id;
    a->task_id = u->status.task_id;
    a->uuid = u->uuid;
    return m;
}

/* ---- resources --------------------------------------------------------------------------- */

typedef struct res_case {
    res_set a, b;
} res_case;

static void add_once(void *arg)
{
    res_case *c = arg;
    res_add(&c->a, &c->b);
}

static void subtract_once(void *arg)
{
    res_case *c = arg;
    if (res_subtract(&c->a, &c->b) != 0) res_add(&c->a, &c->b); /* never reached in practice */
}

static void contains_once(void *arg)
{
    res_case *c = arg;
    sink += res_contains(&c->a, &c->b);
}

static void resources_bench(void)
{
    res_case c = {{0}, {0}};
    const char *node = "cpus(*):8; mem(*):16384; disk(*):65536; ports(*):[31000-32000]";
    const char *task = "cpus(*):0.1; mem(*):32; disk(*):16; ports(*):[31000-31000]";
    res_parse_text(node, NULL, &c.a, NULL, 0);
    res_parse_text(task, NULL, &c.b, NULL, 0);
    figure("wire.resources.contains", contains_once, &c, 1e9, "ns");

    /* subtract from a node large enough never to run out, then add back */
    res_set big = {0};
    res_parse_text("cpus(*):100000000; mem(*):100000000000; disk(*):100000000000; "
                   "ports(*):[0-18446744073709551614]",
                   NULL, &big, NULL, 0);
    res_copy(&c.a, &big);
    figure("wire.resources.subtract", subtract_once, &c, 1e9, "ns");

    res_parse_text("cpus(*):1; mem(*):1; disk(*):1; ports(*):[31000-32000]", NULL, &c.a, NULL, 0);
    figure("wire.resources.add", add_once, &c, 1e9, "ns");
    res_free(&big);
    res_free(&c.a);
    res_free(&c.b);
}

/* ---- the flight recorder's tags ---------------------------------------------------------- */

typedef struct tags_case {
    act_buf body;
    const char *content_type;
} tags_case;

static void tags_once(void *arg)
{
    tags_case *c = arg;
    act_tags t = {.len = 0};
    wire_recorder_tags("mesos.internal.StatusUpdateMessage", (const uint8_t *)c->body.data,
                       c->body.len, c->content_type, false, &t);
    sink += t.len;
}

/* What the recorder spends on each status update it records, in each encoding. */
static void tags_bench(const void *update)
{
    tags_case mp = {{0}, NULL}, pb = {{0}, "application/x-protobuf"};
    wire_encode(WIRE_DESC(status_update_message), update, &mp.body);
    wire_pb_encode(WIRE_DESC(status_update_message), update, &pb.body);
    figure("wire.status_update.tags", tags_once, &mp, 1e9, "ns");
    figure("wire.status_update.tags.protobuf", tags_once, &pb, 1e9, "ns");
    act_buf_free(&mp.body);
    act_buf_free(&pb.body);
}

int main(void)
{
    only = getenv("WIRE_BENCH_ONLY");
    fixed = getenv("WIRE_BENCH_ITERS") ? strtoull(getenv("WIRE_BENCH_ITERS"), NULL, 10) : 0;
    wire_msg *su = status_update(), *o100 = offers(100);
    codec_bench("wire.status_update.codec", WIRE_DESC(status_update_message), su->root, 1e9, "ns");
    tags_bench(su->root);
    codec_bench("wire.offers100.codec", WIRE_DESC(resource_offers_message), o100->root, 1e6,
                "us");
    wire_msg *rt = run_task(), *lt = launch_tasks(4), *o10 = offers(10);
    wire_msg *ak = ack(&((wire_status_update_message *)su->root)->update);
    direction_bench("run_task", WIRE_DESC(run_task_message), rt);
    picked_bench(rt);
    direction_bench("launch_tasks4", WIRE_DESC(launch_tasks_message), lt);
    direction_bench("status_update", WIRE_DESC(status_update_message), su);
    direction_bench("status_update_ack", WIRE_DESC(status_update_acknowledgement_message), ak);
    direction_bench("offers10", WIRE_DESC(resource_offers_message), o10);
    wire_msg *all[] = {su, o100, rt, lt, o10, ak};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) wire_msg_free(all[i]);
    resources_bench();
    return 0;
}
