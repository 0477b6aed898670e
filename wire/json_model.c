/*
 * json_model.c - the JSON the Mesos 0.22 endpoints print where it is not the plain protobuf
 * rendering: model(Resources), model(Attributes), model(TaskStatus), model(Task) in
 * src/common/http.cpp and model(Offer), model(Framework), model(Slave) in src/master/http.cpp.
 * stout's JSON objects are std::maps, so every key below is written in sorted order.
 */
#include "wire/wire_int.h"

#include <stdlib.h>
#include <string.h>

/* act_buf_append inlined: these are most of what a task's JSON is made of. */
static inline void put(act_buf *b, const char *s, size_t n)
{
    if (b->len + n >= b->cap) act_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}
#define PUT(b, lit) put(b, lit, sizeof lit - 1)

/* Whether any of the 8 bytes in v needs escaping: below 0x20, '"', '\\', 0x7f, or '/' when
 * slashes are escaped (bit tricks: a byte of v ^ c is zero where v holds c). */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define ANY_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)

static inline bool needs_escape8(uint64_t v, bool slash)
{
    uint64_t bad = ((v - ONES * 0x20) & ~v & HIGHS) | ANY_ZERO(v ^ (ONES * '"')) |
                   ANY_ZERO(v ^ (ONES * '\\')) | ANY_ZERO(v ^ (ONES * 0x7f));
    if (slash) bad |= ANY_ZERO(v ^ (ONES * '/'));
    return bad != 0;
}

/* A string's contents, escaped: copied 8 bytes at a time while nothing needs escaping (IDs
 * and names seldom do), act_json_escape from the first of them that does. */
static void put_str(act_buf *b, const char *s, bool slash)
{
    size_t n = strlen(s), i = 0;
    if (b->len + n + 8 >= b->cap) act_buf_reserve(b, n + 8);
    char *d = b->data + b->len;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (needs_escape8(v, slash)) break;
        memcpy(d + i, &v, 8);
    }
    for (; i < n; i++) { /* the last few bytes */
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (c == '/' && slash)) break;
        d[i] = (char)c;
    }
    if (i < n) { /* from the first 8 bytes, or the first byte, that need escaping */
        b->len += i;
        act_json_escape(b, s + i, n - i, slash);
        return;
    }
    b->len += n;
    b->data[b->len] = '\0';
}

/* ---- resources ---------------------------------------------------------------------------
 * model(Resources): "cpus", "disk" and "mem" always (0 when absent), then every other
 * resource by name with its exact value: scalars as numbers, ranges as "[1-10, 20-30]", sets
 * as "{a, b}". Mesos 0.22 wrote each Resource in turn into one map, so of cpus(a) and
 * cpus(b) only the last showed; later Mesos shows their sum, and so do we (ranges and sets:
 * their union). */

static const char *const always[] = {"cpus", "disk", "mem"}; /* shown even when absent */

typedef struct model_item {
    const char *name;
    const res_entry *e; /* NULL: an absent cpus, disk or mem, shown as 0 */
} model_item;

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const model_item *)a)->name, ((const model_item *)b)->name);
}

static void write_value(act_json *j, const res_entry *e)
{
    if (!e) {
        act_json_uint(j, 0);
    } else if (e->type == WIRE_VALUE_SCALAR) {
        act_json_double(j, (double)e->scalar / RES_SCALE);
    } else {
        act_buf b = {0};
        wire__res_format_value(e, &b);
        act_json_string_n(j, b.data, b.len);
        act_buf_free(&b);
    }
}

/* The entries of a set whose names are all different, sorted by name, with the absent ones
 * of cpus, disk and mem; items has room for s->n + 3. */
static size_t model_items(const res_set *s, model_item *items)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) items[n++] = (model_item){s->v[i].name, &s->v[i]};
    for (int k = 0; k < 3; k++) {
        bool present = false;
        for (size_t i = 0; i < s->n; i++) present |= strcmp(s->v[i].name, always[k]) == 0;
        if (!present) items[n++] = (model_item){always[k], NULL};
    }
    qsort(items, n, sizeof *items, cmp_item);
    return n;
}

static void write_items(act_json *j, const model_item *items, size_t n)
{
    act_json_object_begin(j);
    for (size_t i = 0; i < n; i++) {
        /* one name with two types: a std::map keeps one of them */
        if (i + 1 < n && strcmp(items[i].name, items[i + 1].name) == 0) continue;
        act_json_key(j, items[i].name);
        write_value(j, items[i].e);
    }
    act_json_object_end(j);
}

void wire_json_model_resources(act_json *j, const res_set *s)
{
    model_item small[16 + 3], *items = small;
    bool distinct = s->n <= 16;
    for (size_t a = 0; distinct && a < s->n; a++)
        for (size_t b = a + 1; distinct && b < s->n; b++)
            distinct = strcmp(s->v[a].name, s->v[b].name) != 0;
    if (distinct) { /* the common case: nothing to add up across roles */
        write_items(j, items, model_items(s, items));
        return;
    }
    res_set flat = {0};
    res_flatten(s, "*", &flat);
    items = act_malloc((flat.n + 3) * sizeof *items);
    write_items(j, items, model_items(&flat, items));
    free(items);
    res_free(&flat);
}

/* The common case written straight from the message: every resource a scalar or already
 * coalesced ranges, each name once, no disk info. False (nothing written) otherwise. */
#define FAST_MAX 16

typedef struct wire_item {
    const char *name;
    const wire_resource *r; /* NULL: an absent cpus, disk or mem, shown as 0 */
    int64_t milli;          /* a scalar's value */
} wire_item;

/* The item of r; false if r is not for the fast path. */
static bool fast_item(const wire_resource *r, wire_item *item)
{
    *item = (wire_item){wire__str(&r->name), r, 0};
    if (r->disk) return false;
    if (r->type == WIRE_VALUE_SCALAR)
        return r->scalar && wire__to_milli(r->scalar->value, &item->milli) == 0 &&
               item->milli > 0;
    if (r->type != WIRE_VALUE_RANGES || !r->ranges || !r->ranges->range_count) return false;
    const wire_value_range *v = r->ranges->range;
    for (size_t i = 0; i < r->ranges->range_count; i++)
        if (v[i].begin > v[i].end || (i && v[i].begin <= v[i - 1].end + 1)) return false;
    return true;
}

/* Which of always[] a name is, as a bit (1 << index); 0 for any other. */
static unsigned always_bit(const char *name)
{
    for (unsigned k = 0; k < 3; k++)
        if (name[0] == always[k][0] && strcmp(name, always[k]) == 0) return 1u << k;
    return 0;
}

static void write_wire_value(act_buf *b, const wire_item *item, bool slash)
{
    if (!item->r) {
        PUT(b, "0");
    } else if (item->r->type == WIRE_VALUE_SCALAR) {
        act_json_put_double(b, (double)item->milli / RES_SCALE);
    } else {
        act_buf text = {0};
        wire_value_format(&text, WIRE_VALUE_RANGES, NULL, item->r->ranges, NULL, NULL);
        act_json_put_string(b, text.data, text.len, slash);
        act_buf_free(&text);
    }
}

static bool write_fast(act_json *j, const wire_resource *r, size_t count)
{
    if (count > FAST_MAX) return false;
    wire_item items[FAST_MAX + 3];
    size_t n = 0;
    unsigned present = 0;
    for (size_t i = 0; i < count; i++) {
        if (!fast_item(&r[i], &items[n])) return false;
        present |= always_bit(items[n++].name);
    }
    for (unsigned k = 0; k < 3; k++)
        if (!(present & 1u << k)) items[n++] = (wire_item){always[k], NULL, 0};
    for (size_t i = 1; i < n; i++) { /* a few: insertion sort by name */
        wire_item x = items[i];
        size_t k = i;
        for (; k > 0 && strcmp(items[k - 1].name, x.name) > 0; k--) items[k] = items[k - 1];
        items[k] = x;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (strcmp(items[i].name, items[i + 1].name) == 0) return false; /* roles to sum */
    act_json_raw(j, "", 0); /* the comma before it, if one is due */
    act_buf *b = j->out;
    PUT(b, "{\"");
    for (size_t i = 0; i < n; i++) {
        if (i) PUT(b, ",\"");
        put_str(b, items[i].name, j->escape_slash);
        PUT(b, "\":");
        write_wire_value(b, &items[i], j->escape_slash);
    }
    PUT(b, "}");
    return true;
}

/* Resources as a message carries them; an entry that does not convert (it cannot be in a
 * message the daemons accepted) is left out rather than taking the others with it. */
void wire_json_model_resources_wire(act_json *j, const wire_resource *r, size_t count)
{
    if (write_fast(j, r, count)) return;
    res_set all = {0}, one = {0};
    for (size_t i = 0; i < count; i++)
        if (res_from_wire(&r[i], 1, &one, NULL, 0) == 0) res_add(&all, &one);
    wire_json_model_resources(j, &all);
    res_free(&one);
    res_free(&all);
}

/* ---- attributes -------------------------------------------------------------------------- */

static void attribute_value(act_json *j, const wire_attribute *a)
{
    if (a->type == WIRE_VALUE_SCALAR) {
        act_json_double(j, a->scalar ? a->scalar->value : 0);
    } else if (a->type == WIRE_VALUE_TEXT) {
        act_json_string(j, a->text ? wire__str(&a->text->value) : "");
    } else {
        act_buf b = {0};
        act_buf_puts(&b, "");
        wire_value_format(&b, a->type, a->scalar, a->ranges, a->set, a->text);
        act_json_string_n(j, b.data, b.len);
        act_buf_free(&b);
    }
}

void wire_json_model_attributes(act_json *j, const wire_attribute *a, size_t count)
{
    size_t *order = act_malloc((count ? count : 1) * sizeof *order);
    for (size_t i = 0; i < count; i++) { /* stable insertion sort by name */
        size_t k = i;
        while (k > 0 && strcmp(wire__str(&a[order[k - 1]].name), wire__str(&a[i].name)) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    act_json_object_begin(j);
    for (size_t i = 0; i < count; i++) {
        const wire_attribute *x = &a[order[i]];
        /* a std::map keeps the last value given for a name */
        if (i + 1 < count && strcmp(wire__str(&x->name), wire__str(&a[order[i + 1]].name)) == 0)
            continue;
        act_json_key(j, wire__str(&x->name));
        attribute_value(j, x);
    }
    act_json_object_end(j);
    free(order);
}

/* ---- tasks -------------------------------------------------------------------------------
 * Written straight into the buffer, literal runs of keys and punctuation at a time: state.json
 * holds one of these per task, 100,000 of them in a large cluster. */


static void put_status(act_buf *b, const wire_task_status *s, bool slash)
{
    PUT(b, "{\"state\":\"");
    put_str(b, wire_task_state_name(s->state), slash);
    PUT(b, "\",\"timestamp\":");
    act_json_put_double(b, s->timestamp);
    PUT(b, "}");
}

void wire_json_model_task_status(act_json *j, const wire_task_status *s)
{
    act_json_raw(j, "", 0); /* the comma before it, if one is due */
    put_status(j->out, s, j->escape_slash);
}

/* The fields model(Task) and model(TaskInfo, ...) share. */
typedef struct task_parts {
    const wire_discovery_info *discovery;
    const char *executor_id, *framework_id, *id, *name, *slave_id;
    const wire_labels *labels;
    const wire_resource *resources;
    size_t nresources;
    wire_task_state state;
    const wire_task_status *statuses;
    size_t nstatuses;
} task_parts;

static void write_task(act_json *j, const task_parts *t)
{
    act_json_raw(j, "", 0);
    act_buf *b = j->out;
    bool slash = j->escape_slash;
    act_json sub; /* for the nested values written the general way */
    PUT(b, "{");
    if (t->discovery) {
        PUT(b, "\"discovery\":");
        act_json_init(&sub, b);
        sub.escape_slash = slash;
        wire_json(&sub, WIRE_DESC(discovery_info), t->discovery);
        PUT(b, ",");
    }
    PUT(b, "\"executor_id\":\"");
    put_str(b, t->executor_id, slash);
    PUT(b, "\",\"framework_id\":\"");
    put_str(b, t->framework_id, slash);
    PUT(b, "\",\"id\":\"");
    put_str(b, t->id, slash);
    PUT(b, "\",\"labels\":[");
    act_json_init(&sub, b);
    sub.escape_slash = slash;
    for (size_t i = 0; t->labels && i < t->labels->labels_count; i++)
        wire_json(&sub, WIRE_DESC(label), &t->labels->labels[i]);
    PUT(b, "],\"name\":\"");
    put_str(b, t->name, slash);
    PUT(b, "\",\"resources\":");
    act_json_init(&sub, b);
    sub.escape_slash = slash;
    wire_json_model_resources_wire(&sub, t->resources, t->nresources);
    PUT(b, ",\"slave_id\":\"");
    put_str(b, t->slave_id, slash);
    PUT(b, "\",\"state\":\"");
    put_str(b, wire_task_state_name(t->state), slash);
    PUT(b, "\",\"statuses\":[");
    for (size_t i = 0; i < t->nstatuses; i++) {
        if (i) PUT(b, ",");
        put_status(b, &t->statuses[i], slash);
    }
    PUT(b, "]}");
}

void wire_json_model_task(act_json *j, const wire_task *t)
{
    task_parts p = {
        .discovery = t->discovery,
        .executor_id = t->executor_id ? wire__str(&t->executor_id->value) : "",
        .framework_id = wire__str(&t->framework_id.value),
        .id = wire__str(&t->task_id.value),
        .name = wire__str(&t->name),
        .slave_id = wire__str(&t->slave_id.value),
        .labels = t->labels,
        .resources = t->resources,
        .nresources = t->resources_count,
        .state = t->state,
        .statuses = t->statuses,
        .nstatuses = t->statuses_count,
    };
    write_task(j, &p);
}

void wire_json_model_task_info(act_json *j, const wire_task_info *t,
                               const wire_framework_id *framework_id, wire_task_state state,
                               const wire_task_status *statuses, size_t nstatuses)
{
    task_parts p = {
        .discovery = t->discovery,
        .executor_id = t->executor ? wire__str(&t->executor->executor_id.value) : "",
        .framework_id = wire__str(&framework_id->value),
        .id = wire__str(&t->task_id.value),
        .name = wire__str(&t->name),
        .slave_id = wire__str(&t->slave_id.value),
        .labels = t->labels,
        .resources = t->resources,
        .nresources = t->resources_count,
        .state = state,
        .statuses = statuses,
        .nstatuses = nstatuses,
    };
    write_task(j, &p);
}

/* ---- offers, frameworks, slaves ---------------------------------------------------------- */

void wire_json_model_offer(act_json *j, const wire_offer *o)
{
    act_json_object_begin(j);
    act_json_kv_string(j, "framework_id", wire__str(&o->framework_id.value));
    act_json_kv_string(j, "id", wire__str(&o->id.value));
    act_json_key(j, "resources");
    wire_json_model_resources_wire(j, o->resources, o->resources_count);
    act_json_kv_string(j, "slave_id", wire__str(&o->slave_id.value));
    act_json_object_end(j);
}

static void write_array(act_json *j, const char *key, wire_json_array_fn fn, void *ctx)
{
    act_json_key(j, key);
    act_json_array_begin(j);
    if (fn) fn(j, ctx);
    act_json_array_end(j);
}

static void write_resources(act_json *j, const char *key, const res_set *s)
{
    res_set none = {0};
    act_json_key(j, key);
    wire_json_model_resources(j, s ? s : &none);
}

void wire_json_model_framework(act_json *j, const wire_framework_view *v)
{
    const wire_framework_info *fi = v->info;
    res_set total = {0};
    bool offered = v->offered_resources && !res_empty(v->offered_resources);
    if (v->used_resources && offered) res_copy(&total, v->used_resources);
    if (offered) res_add(&total, v->offered_resources);
    act_json_object_begin(j);
    act_json_kv_bool(j, "active", v->active);
    act_json_kv_bool(j, "checkpoint", fi->checkpoint);
    write_array(j, "completed_tasks", v->completed_tasks, v->ctx);
    act_json_kv_double(j, "failover_timeout", fi->failover_timeout);
    act_json_kv_string(j, "hostname", wire__str(&fi->hostname));
    act_json_kv_string(j, "id", v->id);
    act_json_kv_string(j, "name", wire__str(&fi->name));
    write_resources(j, "offered_resources", v->offered_resources);
    write_array(j, "offers", v->offers, v->ctx);
    act_json_kv_double(j, "registered_time", v->registered_time);
    if (v->reregistered) act_json_kv_double(j, "reregistered_time", v->reregistered_time);
    write_resources(j, "resources", offered ? &total : v->used_resources);
    act_json_kv_string(j, "role", fi->role ? fi->role : "*");
    write_array(j, "tasks", v->tasks, v->ctx);
    act_json_kv_double(j, "unregistered_time", v->unregistered_time);
    write_resources(j, "used_resources", v->used_resources);
    act_json_kv_string(j, "user", wire__str(&fi->user));
    act_json_kv_string(j, "webui_url", wire__str(&fi->webui_url));
    act_json_object_end(j);
    res_free(&total);
}

/* Written straight into the buffer as a task is: state.json holds one per slave. */
void wire_json_model_slave(act_json *j, const wire_slave_view *v)
{
    act_json_raw(j, "", 0); /* the comma before it, if one is due */
    act_buf *b = j->out;
    bool slash = j->escape_slash;
    act_json sub; /* for the nested values written the general way */
    if (v->active) PUT(b, "{\"active\":true,\"attributes\":");
    else PUT(b, "{\"active\":false,\"attributes\":");
    act_json_init(&sub, b);
    sub.escape_slash = slash;
    wire_json_model_attributes(&sub, v->info->attributes, v->info->attributes_count);
    PUT(b, ",\"hostname\":\"");
    put_str(b, wire__str(&v->info->hostname), slash);
    PUT(b, "\",\"id\":\"");
    put_str(b, v->id, slash);
    PUT(b, "\",\"pid\":\"");
    put_str(b, v->pid, slash);
    PUT(b, "\",\"registered_time\":");
    act_json_put_double(b, v->registered_time);
    if (v->reregistered) {
        PUT(b, ",\"reregistered_time\":");
        act_json_put_double(b, v->reregistered_time);
    }
    PUT(b, ",\"resources\":");
    act_json_init(&sub, b);
    sub.escape_slash = slash;
    wire_json_model_resources_wire(&sub, v->info->resources, v->info->resources_count);
    PUT(b, "}");
}
