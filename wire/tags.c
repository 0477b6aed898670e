/*
 * tags.c - what a message concerns, for the runtime's flight recorder: the framework, slave,
 * executor, task and offer IDs in its body and a status update's UUID, read through the
 * schema from msgpack or protobuf. The recorder asks for every message it records, on the
 * loop that sends or receives it, so this never decodes into an arena: it walks the bytes,
 * descends only into fields whose types can hold an ID, skips the rest, and gives up quietly
 * (with the tags found so far) on anything malformed. send.c installs it in the runtime.
 */
#include "wire/wire_int.h"

#include <pthread.h>

/* ---- which types matter ------------------------------------------------------------------ */

enum { IRRELEVANT = 1, RELEVANT = 2 };

static uint8_t relevance[1024]; /* by wire_type_at() index, filled once */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The tag an ID type gives its value, or NULL. */
static const char *id_key(const wire_desc *d)
{
    if (d == WIRE_DESC(framework_id)) return "framework";
    if (d == WIRE_DESC(slave_id)) return "slave";
    if (d == WIRE_DESC(executor_id)) return "executor";
    if (d == WIRE_DESC(task_id)) return "task";
    if (d == WIRE_DESC(offer_id)) return "offer";
    return NULL;
}

static bool is_uuid(const wire_field *f)
{
    return f->kind == WIRE_K_BYTES && f->name_len == 4 && memcmp(f->name, "uuid", 4) == 0;
}

static bool relevant(const wire_desc *d, int depth)
{
    if (relevance[d->index]) return relevance[d->index] == RELEVANT;
    bool r = id_key(d) != NULL;
    for (uint16_t i = 0; i < d->nfields && !r && depth < WIRE_MAX_DEPTH; i++) {
        const wire_field *f = &d->fields[i];
        r = is_uuid(f) || (f->kind == WIRE_K_MSG && relevant(f->sub, depth + 1));
    }
    relevance[d->index] = r ? RELEVANT : IRRELEVANT;
    return r;
}

static void build(void)
{
    for (size_t i = 0; i < wire_type_count() && i < sizeof relevance; i++)
        relevant(wire_type_at(i), 0);
}

/* A field worth reading: an ID, a UUID, or a message that may hold one. */
static bool wanted(const wire_field *f)
{
    return f && (is_uuid(f) || (f->kind == WIRE_K_MSG && relevance[f->sub->index] == RELEVANT));
}

/* The canonical text of a 16-byte UUID. */
static void tag_uuid(act_tags *out, const uint8_t *p, size_t n)
{
    char text[WIRE_UUID_STRLEN - 1];
    if (n != 16) return;
    wire__uuid_text(p, text);
    act_tags_add(out, "uuid", text, sizeof text);
}

/* ---- msgpack ----------------------------------------------------------------------------- */

typedef struct mp {
    const uint8_t *p, *end;
} mp;

typedef enum { MP_BAD, MP_STR, MP_BIN, MP_ARR, MP_MAP, MP_OTHER } mp_type;

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* Reads one item's head: its type, and its length (str, bin) or count (arr, map); the
 * payload of str/bin/ext and scalars' bytes are consumed, containers' elements are not. */
static mp_type mp_head(mp *m, uint64_t *n, const uint8_t **data)
{
    if (m->p >= m->end) return MP_BAD;
    uint8_t t = *m->p++;
    int w = 0;
    mp_type type = MP_OTHER;
    uint64_t payload = 0;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        return MP_OTHER;
    } else if ((t & 0xe0) == 0xa0) {
        type = MP_STR, payload = t & 0x1f;
    } else if ((t & 0xf0) == 0x90) {
        *n = t & 0x0f;
        return MP_ARR;
    } else if ((t & 0xf0) == 0x80) {
        *n = t & 0x0f;
        return MP_MAP;
    } else if (t >= 0xcc && t <= 0xd3) { /* integers */
        w = 1 << ((t - 0xcc) & 3);
    } else if (t == 0xca || t == 0xcb) {
        w = t == 0xca ? 4 : 8;
    } else if (t >= 0xd4 && t <= 0xd8) { /* fixext */
        w = 1 + (1 << (t - 0xd4));
    } else {
        static const struct { uint8_t tag; int w; mp_type type; } sized[] = {
            {0xd9, 1, MP_STR}, {0xda, 2, MP_STR}, {0xdb, 4, MP_STR}, {0xc4, 1, MP_BIN},
            {0xc5, 2, MP_BIN}, {0xc6, 4, MP_BIN}, {0xdc, 2, MP_ARR}, {0xdd, 4, MP_ARR},
            {0xde, 2, MP_MAP}, {0xdf, 4, MP_MAP}, {0xc7, 1, MP_OTHER}, {0xc8, 2, MP_OTHER},
            {0xc9, 4, MP_OTHER}};
        size_t i = 0;
        while (i < sizeof sized / sizeof sized[0] && sized[i].tag != t) i++;
        if (i == sizeof sized / sizeof sized[0]) return MP_BAD;
        if ((size_t)(m->end - m->p) < (size_t)sized[i].w) return MP_BAD;
        uint64_t v = be(m->p, sized[i].w);
        m->p += sized[i].w;
        if (sized[i].type == MP_ARR || sized[i].type == MP_MAP) {
            *n = v;
            return sized[i].type;
        }
        type = sized[i].type;
        payload = v + (t >= 0xc7 && t <= 0xc9); /* ext: its type byte */
    }
    if (w) payload = (uint64_t)w;
    if (payload > (uint64_t)(m->end - m->p)) return MP_BAD;
    *data = m->p;
    *n = payload;
    m->p += payload;
    return type;
}

/* Skips one item with everything inside it; false on malformed input. */
static bool mp_skip(mp *m)
{
    uint64_t left = 1, n;
    const uint8_t *d;
    while (left--) {
        mp_type t = mp_head(m, &n, &d);
        if (t == MP_BAD) return false;
        if (t == MP_ARR || t == MP_MAP) {
            if (n > (uint64_t)(m->end - m->p)) return false; /* each element is a byte or more */
            left += t == MP_MAP ? 2 * n : n;
        }
    }
    return true;
}

static bool mp_message(mp *m, const wire_desc *d, int depth, act_tags *out);

/* One value of field f (an element, for a repeated field). */
static bool mp_value(mp *m, const wire_field *f, int depth, act_tags *out)
{
    if (f->kind == WIRE_K_MSG) return mp_message(m, f->sub, depth + 1, out);
    uint64_t n;
    const uint8_t *d = NULL;
    mp_type t = mp_head(m, &n, &d);
    if (t == MP_STR || t == MP_BIN) tag_uuid(out, d, n);
    return t != MP_BAD && t != MP_ARR && t != MP_MAP;
}

static bool mp_message(mp *m, const wire_desc *d, int depth, act_tags *out)
{
    uint64_t n;
    const uint8_t *data;
    if (depth > WIRE_MAX_DEPTH || mp_head(m, &n, &data) != MP_MAP) return false;
    const char *key = id_key(d);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t kl;
        const uint8_t *k;
        if (mp_head(m, &kl, &k) != MP_STR) return false;
        const wire_field *f = wire__field_by_name(d, (const char *)k, (size_t)kl);
        if (key && f && f->number == 1) { /* the ID's value */
            uint64_t vl;
            const uint8_t *v;
            if (mp_head(m, &vl, &v) != MP_STR) return false;
            act_tags_add(out, key, (const char *)v, (size_t)vl);
        } else if (!wanted(f)) {
            if (!mp_skip(m)) return false;
        } else if (f->label == WIRE_L_REP) {
            uint64_t count;
            if (mp_head(m, &count, &data) != MP_ARR) return false;
            for (uint64_t e = 0; e < count; e++)
                if (!mp_value(m, f, depth, out)) return false;
        } else if (!mp_value(m, f, depth, out)) {
            return false;
        }
    }
    return true;
}

/* ---- protobuf ---------------------------------------------------------------------------- */

static bool pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static const wire_field *field_by_number(const wire_desc *d, uint64_t number)
{
    for (uint16_t i = 0; i < d->nfields; i++)
        if (d->fields[i].number == number) return &d->fields[i];
    return NULL;
}

static bool pb_message(const uint8_t *p, const uint8_t *end, const wire_desc *d, int depth,
                       act_tags *out)
{
    if (depth > WIRE_MAX_DEPTH) return false;
    const char *key = id_key(d);
    while (p < end) {
        uint64_t tag, n = 0;
        if (!pb_varint(&p, end, &tag)) return false;
        int type = (int)(tag & 7);
        if (type == 0) {
            if (!pb_varint(&p, end, &n)) return false;
            continue;
        }
        if (type == 1 || type == 5) {
            n = type == 1 ? 8 : 4;
        } else if (type != 2 || !pb_varint(&p, end, &n)) {
            return false; /* groups, or malformed */
        }
        if (n > (uint64_t)(end - p)) return false;
        const wire_field *f = field_by_number(d, tag >> 3);
        if (type == 2 && key && tag >> 3 == 1)
            act_tags_add(out, key, (const char *)p, (size_t)n);
        else if (type == 2 && f && is_uuid(f))
            tag_uuid(out, p, (size_t)n);
        else if (type == 2 && wanted(f) && f->kind == WIRE_K_MSG &&
                 !pb_message(p, p + n, f->sub, depth + 1, out))
            return false;
        p += n;
    }
    return true;
}

/* ---- the recorder's tagger --------------------------------------------------------------- */

/* The type of messages called `name`. Events come in runs of one name, so each thread keeps
 * its last answer: a comparison, not a search among names that share their first 15 bytes. */
static const wire_desc *type_named(const char *name)
{
    static _Thread_local const wire_desc *last;
    if (last && strcmp(last->name, name) == 0) return last;
    const wire_desc *d = wire_type_by_name(name);
    if (d) last = d;
    return d;
}

void wire_recorder_tags(const char *name, const uint8_t *body, size_t len,
                         const char *content_type, bool libprocess, act_tags *out)
{
    const wire_desc *d = type_named(name);
    if (!d) return;
    pthread_once(&once, build);
    if (relevance[d->index] != RELEVANT) return;
    act_msg probe = {.content_type = content_type, .libprocess = libprocess};
    if (wire_msg_format(&probe) == WIRE_PROTOBUF) {
        pb_message(body, body + len, d, 0, out);
    } else {
        mp m = {body, body + len};
        mp_message(&m, d, 0, out);
    }
}
