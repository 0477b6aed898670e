/*
 * inspect.c - message events for mesos-inspect: parsed from the runtime's JSON, kept in
 * lists, merged by time across processes, filtered as --watch asks and printed one line each,
 * with bodies decoded through the wire schema. The diagram of a task is inspect_diagram.c.
 */
#include "tools/inspect.h"

#include "wire/wire.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

/* ---- one event --------------------------------------------------------------------------- */

static char *dup_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return act_strdup(s ? s : "");
}

static uint64_t hex_field(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strtoull(s, NULL, 16) : 0;
}

static const char *const kinds[] = {[INS_SEND] = "send", [INS_RECEIVE] = "receive",
                                    [INS_DROP] = "drop", [INS_LOST] = "lost"};

/* The bytes of base64 text s (padded, as the runtime writes bodies) into *n; NULL when it is
 * not base64. */
static uint8_t *unbase64(const char *s, size_t *n)
{
    size_t len = strlen(s);
    uint8_t *out = act_malloc(len / 4 * 3 + 1);
    long k = act_base64_decode(s, len, out);
    if (k < 0) {
        free(out);
        return NULL;
    }
    *n = (size_t)k;
    return out;
}

int ins_event_parse(json_t *o, const char *process, ins_event *e)
{
    memset(e, 0, sizeof *e);
    const char *kind = json_string_value(json_object_get(o, "kind"));
    int k = -1;
    for (int i = 0; kind && i <= INS_LOST; i++)
        if (strcmp(kind, kinds[i]) == 0) k = i;
    if (k < 0 || !json_is_object(o)) return -1;
    const char *p = json_string_value(json_object_get(o, "process"));
    e->process = act_strdup(p ? p : process ? process : "");
    e->kind = (ins_kind)k;
    e->seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
    e->time = json_number_value(json_object_get(o, "time"));
    e->lost = (uint64_t)json_integer_value(json_object_get(o, "count"));
    e->from = dup_str(o, "from");
    e->to = dup_str(o, "to");
    e->name = dup_str(o, "name");
    e->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
    e->trace = hex_field(o, "trace");
    e->span = hex_field(o, "span");
    e->parent = hex_field(o, "parent");
    e->reason = dup_str(o, "reason");
    e->content_type = dup_str(o, "content_type");
    e->libprocess = json_is_true(json_object_get(o, "libprocess"));
    const char *body = json_string_value(json_object_get(o, "body"));
    if (body) { /* decoded once, here: --decode and --json take the bytes */
        e->body = unbase64(body, &e->body_len);
        e->body_bad = !e->body;
    }
    json_t *tags = json_object_get(o, "tags");
    e->tags = json_is_object(tags) ? json_incref(tags) : json_object();
    return 0;
}

void ins_event_free(ins_event *e)
{
    free(e->process);
    free(e->from);
    free(e->to);
    free(e->name);
    free(e->reason);
    free(e->content_type);
    free(e->body);
    json_decref(e->tags);
    memset(e, 0, sizeof *e);
}

static void hex_kv(json_t *o, const char *key, uint64_t v)
{
    char s[17];
    snprintf(s, sizeof s, "%016" PRIx64, v);
    json_object_set_new(o, key, json_string(s));
}

void ins_event_print_json(const ins_event *e, FILE *out)
{
    json_t *o = json_object();
    json_object_set_new(o, "process", json_string(e->process));
    json_object_set_new(o, "kind", json_string(kinds[e->kind]));
    if (e->kind == INS_LOST) {
        json_object_set_new(o, "count", json_integer((json_int_t)e->lost));
    } else {
        json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
        json_object_set_new(o, "time", json_real(e->time));
        json_object_set_new(o, "from", json_string(e->from));
        json_object_set_new(o, "to", json_string(e->to));
        json_object_set_new(o, "name", json_string(e->name));
        json_object_set_new(o, "size", json_integer((json_int_t)e->size));
        hex_kv(o, "trace", e->trace);
        hex_kv(o, "span", e->span);
        hex_kv(o, "parent", e->parent);
        if (e->content_type[0]) json_object_set_new(o, "content_type", json_string(e->content_type));
        if (e->libprocess) json_object_set_new(o, "libprocess", json_true());
        if (e->reason[0]) json_object_set_new(o, "reason", json_string(e->reason));
        json_object_set(o, "tags", e->tags);
        if (e->body) {
            act_buf text = {0};
            act_buf_base64(&text, e->body, e->body_len);
            json_object_set_new(o, "body", json_string(text.data ? text.data : ""));
            act_buf_free(&text);
        }
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fprintf(out, "%s\n", text);
    free(text);
    json_decref(o);
}

const char *ins_tag(const ins_event *e, const char *key)
{
    return json_string_value(json_array_get(json_object_get(e->tags, key), 0));
}

bool ins_has_tag(const ins_event *e, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(e->tags, key), i, v) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, value) == 0) return true;
    }
    return false;
}

/* ---- lists ------------------------------------------------------------------------------- */

void ins_events_add(ins_events *l, ins_event *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = act_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *e;
    memset(e, 0, sizeof *e);
}

void ins_events_free(ins_events *l)
{
    for (size_t i = 0; i < l->n; i++) ins_event_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int add_array(ins_events *l, json_t *events, const char *process)
{
    int added = 0;
    size_t i;
    json_t *o;
    ins_event e;
    json_array_foreach(events, i, o) {
        if (ins_event_parse(o, process, &e) != 0) continue;
        ins_events_add(l, &e);
        added++;
    }
    return added;
}

int ins_events_load(ins_events *l, const char *text, const char *process, char *err,
                    size_t errlen)
{
    json_t *root = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    if (json_is_object(root) && json_is_array(json_object_get(root, "events"))) {
        const char *addr = json_string_value(json_object_get(root, "address"));
        int n = add_array(l, json_object_get(root, "events"), addr ? addr : process);
        json_decref(root);
        return n;
    }
    json_decref(root);
    int added = 0, lines = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        json_t *o = json_loadb(p, len, 0, NULL);
        ins_event e;
        if (o && ins_event_parse(o, process, &e) == 0) {
            ins_events_add(l, &e);
            added++;
        }
        lines += len > 0;
        json_decref(o);
        p += len + (p[len] == '\n');
    }
    if (lines && !added) {
        snprintf(err, errlen, "%s: neither a recorder's answer nor lines of events", process);
        return -1;
    }
    return added;
}

/* ---- the binary stream ------------------------------------------------------------------ */

/* The tags as the runtime writes them in JSON: {key: [values]}, keys in first-seen order. */
static json_t *tags_json(const act_tags *t)
{
    json_t *o = json_object();
    const char *key, *value;
    for (size_t at = 0; act_tags_next(t, &at, &key, &value);) {
        json_t *values = json_object_get(o, key);
        if (!values) json_object_set_new(o, key, values = json_array());
        json_array_append_new(values, json_string(value));
    }
    return o;
}

static char *pid_text(const act_pid *pid)
{
    char text[ACT_PID_STRLEN];
    return act_strdup(act_pid_format(pid, text, sizeof text));
}

void ins_event_from_record(const act_trace_record *r, const char *process, ins_event *e)
{
    memset(e, 0, sizeof *e);
    e->process = act_strdup(process);
    if (r->type == ACT_TRACE_REC_LOST) {
        e->kind = INS_LOST;
        e->lost = r->lost;
        e->from = act_strdup("");
        e->to = act_strdup("");
        e->name = act_strdup("");
        e->reason = act_strdup("");
        e->content_type = act_strdup("");
        e->tags = json_object();
        return;
    }
    e->kind = r->kind == 0 ? INS_SEND : r->kind == 1 ? INS_RECEIVE : INS_DROP;
    e->seq = r->seq;
    e->time = (double)((r->ns + 500) / 1000) / 1e6; /* to the microsecond, as in the JSON */
    e->from = pid_text(&r->from);
    e->to = pid_text(&r->to);
    e->name = act_strdup(r->name);
    e->size = r->size;
    e->trace = r->tc.trace;
    e->span = r->tc.span;
    e->parent = r->tc.parent;
    e->reason = act_strdup(r->reason);
    e->content_type = act_strdup(r->content_type);
    e->libprocess = r->flags & ACT_TRACE_F_LIBPROCESS;
    act_tags tags = {0};
    if (r->body_len)
        wire_recorder_tags(r->name, r->body, r->body_len,
                           r->content_type[0] ? r->content_type : NULL, e->libprocess, &tags);
    e->tags = tags_json(&tags);
    if (r->flags & ACT_TRACE_F_BODY) {
        e->body = act_malloc(r->body_len ? r->body_len : 1);
        if (r->body_len) memcpy(e->body, r->body, r->body_len); /* an empty one has no bytes */
        e->body_len = r->body_len;
    }
}

/* The records of r->pending from `at` on into l; returns the bytes they took, or -1. */
static long trace_records(ins_trace_reader *r, size_t at, const char *process, ins_events *l,
                          int *added, char *err, size_t errlen)
{
    const uint8_t *p = (const uint8_t *)r->pending.data;
    act_trace_record rec;
    for (long n; (n = act_trace_record_parse(p + at, r->pending.len - at, &rec, err, errlen));
         at += (size_t)n) {
        if (n < 0) return -1;
        if (rec.type != ACT_TRACE_REC_EVENT && rec.type != ACT_TRACE_REC_LOST) continue;
        ins_event e;
        ins_event_from_record(&rec, process, &e);
        ins_events_add(l, &e);
        (*added)++;
    }
    return (long)at;
}

int ins_trace_feed(ins_trace_reader *r, const void *data, size_t n, const char *process,
                   ins_events *l, char *err, size_t errlen)
{
    char why[256];
    act_buf_append(&r->pending, data, n);
    long at = 0;
    int added = 0;
    if (!r->head) {
        at = act_trace_head_parse((const uint8_t *)r->pending.data, r->pending.len, why,
                                  sizeof why);
        r->head = at > 0;
    }
    if (at >= 0 && r->head) at = trace_records(r, (size_t)at, process, l, &added, why, sizeof why);
    if (at < 0) {
        snprintf(err, errlen, "%s: %s", process, why);
        return -1;
    }
    memmove(r->pending.data, r->pending.data + at, r->pending.len - (size_t)at);
    r->pending.len -= (size_t)at;
    return added;
}

void ins_trace_reader_free(ins_trace_reader *r)
{
    act_buf_free(&r->pending);
    r->head = false;
}

static int by_time(const void *a, const void *b)
{
    const ins_event *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    int c = strcmp(x->process, y->process);
    if (c) return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ins_events_sort(ins_events *l)
{
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, by_time);
}

/* ---- filters ----------------------------------------------------------------------------- */

/* Does pid ("name@ip:port") answer to `who`: the actor's name, the whole pid, or its
 * address? */
static bool names(const char *pid, const char *who)
{
    if (strcmp(pid, who) == 0) return true;
    const char *at = strrchr(pid, '@');
    if (!at) return false;
    size_t n = (size_t)(at - pid);
    return (strlen(who) == n && strncmp(pid, who, n) == 0) || strcmp(at + 1, who) == 0;
}

bool ins_filter_match(const ins_filter *f, const ins_event *e)
{
    if (e->kind == INS_LOST) return true; /* always say what was missed */
    if (f->actor && *f->actor && !names(e->from, f->actor) && !names(e->to, f->actor))
        return false;
    if (f->from && *f->from && !names(e->from, f->from)) return false;
    if (f->to && *f->to && !names(e->to, f->to)) return false;
    if (f->name && *f->name && !strstr(e->name, f->name)) return false;
    if (f->framework && *f->framework && !ins_has_tag(e, "framework", f->framework))
        return false;
    return !(f->task && *f->task && !ins_has_tag(e, "task", f->task));
}

/* ---- lines ------------------------------------------------------------------------------- */

/* "Name" for "mesos.internal.Name" (what the Mesos docs call messages). */
static const char *short_name(const char *name)
{
    static const char internal[] = "mesos.internal.";
    return strncmp(name, internal, sizeof internal - 1) == 0 ? name + sizeof internal - 1 : name;
}

static void tags_text(const ins_event *e, act_buf *out)
{
    const char *key;
    json_t *values;
    bool first = true;
    json_object_foreach(e->tags, key, values) {
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v) {
            act_buf_printf(out, "%s%s=%s", first ? " [" : " ", key, json_string_value(v));
            first = false;
        }
    }
    if (!first) act_buf_putc(out, ']');
}

/* The body as indented JSON under the line, or why not. */
static void decoded_body(const ins_event *e, act_buf *out)
{
    const wire_desc *d = wire_type_by_name(e->name);
    if (!d || !e->body) {
        act_buf_printf(out, "\n    (%s)", d ? "body is not base64" : "no schema for this name");
        return;
    }
    act_msg m = {.name = e->name, .body = e->body, .len = e->body_len,
                 .content_type = e->content_type[0] ? e->content_type : NULL,
                 .libprocess = e->libprocess};
    wire_msg *msg = NULL;
    char err[256];
    if (wire_decode_body(&m, d, &msg, err, sizeof err) != 0) {
        act_buf_printf(out, "\n    (body does not decode: %s)", err);
    } else {
        char *json = wire_to_json(d, msg->root);
        act_buf_printf(out, "\n    %s", json);
        free(json);
    }
    wire_msg_free(msg);
}

void ins_event_line(const ins_event *e, bool decode, act_buf *out)
{
    if (e->kind == INS_LOST) {
        act_buf_printf(out, "%-26s (%llu events missed: the recorder overwrote them first)",
                       e->process, (unsigned long long)e->lost);
        return;
    }
    char when[32];
    time_t secs = (time_t)e->time;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    static const char *const verbs[] = {[INS_SEND] = "sent", [INS_RECEIVE] = "recv",
                                        [INS_DROP] = "DROP"};
    act_buf_printf(out, "%s.%06d %-4s %s -> %s %s %lluB", when,
                   (int)((e->time - (double)secs) * 1e6), verbs[e->kind],
                   e->from[0] ? e->from : "(anonymous)", e->to, short_name(e->name),
                   (unsigned long long)e->size);
    tags_text(e, out);
    if (e->kind == INS_DROP) act_buf_printf(out, " (%s)", e->reason);
    if (decode && (e->body || e->body_bad)) decoded_body(e, out);
}
