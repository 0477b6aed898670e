/*
 * random.c - fills any message with deterministic random contents, driven by the schema, so
 * the round-trip tests, the fuzz seeds and the benchmarks cover every type and field without
 * naming them. Values are chosen to exercise every msgpack width and every JSON escape.
 */
#include "wire/wire_int.h"

#include <math.h>

/* Past this nesting, optional messages stay absent and repeated fields short, so a fill of a
 * deep type (ReregisterSlaveMessage) stays small. */
#define FULL_DEPTH 3
#define MAX_DEPTH 6

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A random number of any magnitude (so encodings use every integer width). */
static uint64_t any_width(uint64_t *rng)
{
    return next(rng) >> (next(rng) % 64);
}

static char *random_string(wire_msg *m, uint64_t *rng)
{
    static const char *const pieces[] = {"a",  "b",  "z",    "0",        "9",           "-",
                                         "_",  ".",  " ",    "/",        "\"",          "\\",
                                         "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac"};
    size_t n = next(rng) % 12;
    act_buf b = {0};
    act_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        act_buf_puts(&b, pieces[next(rng) % (sizeof pieces / sizeof pieces[0])]);
    char *s = wire_strdup(m, b.data);
    act_buf_free(&b);
    return s;
}

static void random_bytes(wire_msg *m, uint64_t *rng, wire_bytes *out)
{
    size_t n = next(rng) % 20;
    out->data = wire_alloc(m, n + 1);
    for (size_t i = 0; i < n; i++) out->data[i] = (uint8_t)next(rng);
    out->len = n;
}

static double random_double(uint64_t *rng)
{
    switch (next(rng) % 5) {
    case 0: return (double)(int64_t)any_width(rng);
    case 1: return (double)(next(rng) % 100000) / 1000.0;
    case 2: return -(double)(next(rng) % 1000) / 7.0;
    case 3: return ldexp((double)(next(rng) % 1000000), (int)(next(rng) % 200) - 100);
    default: return 0.0;
    }
}

static void fill_msg(wire_msg *m, const wire_desc *d, void *obj, uint64_t *rng, int depth);

static void fill_value(wire_msg *m, const wire_field *f, void *p, uint64_t *rng, int depth)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: *(char **)p = random_string(m, rng); break;
    case WIRE_K_BYTES: random_bytes(m, rng, p); break;
    case WIRE_K_BOOL: *(bool *)p = next(rng) & 1; break;
    case WIRE_K_INT32: *(int32_t *)p = (int32_t)(uint32_t)any_width(rng); break;
    case WIRE_K_INT64: *(int64_t *)p = (int64_t)any_width(rng) * ((next(rng) & 1) ? -1 : 1); break;
    case WIRE_K_UINT32: *(uint32_t *)p = (uint32_t)any_width(rng); break;
    case WIRE_K_UINT64: *(uint64_t *)p = any_width(rng); break;
    case WIRE_K_DOUBLE: *(double *)p = random_double(rng); break;
    case WIRE_K_ENUM: *(int *)p = f->en->values[next(rng) % f->en->count].number; break;
    case WIRE_K_MSG: fill_msg(m, f->sub, p, rng, depth + 1); break;
    }
}

static void fill_repeated(wire_msg *m, const wire_field *f, void *obj, uint64_t *rng, int depth)
{
    size_t n = depth < FULL_DEPTH ? 1 + next(rng) % 3 : depth < MAX_DEPTH ? next(rng) % 2 : 0;
    size_t sz = wire__value_size(f);
    uint8_t *items = n ? wire_alloc(m, n * sz) : NULL;
    for (size_t i = 0; i < n; i++) fill_value(m, f, items + i * sz, rng, depth);
    *(void **)wire__at(obj, f->offset) = items;
    *wire__count(obj, f) = n;
}

static void fill_msg(wire_msg *m, const wire_desc *d, void *obj, uint64_t *rng, int depth)
{
    wire_init(d, obj);
    for (uint16_t i = 0; i < d->nfields; i++) {
        const wire_field *f = &d->fields[i];
        void *p = wire__at(obj, f->offset);
        if (f->label == WIRE_L_REP) {
            fill_repeated(m, f, obj, rng, depth);
        } else if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG) {
            if (depth >= MAX_DEPTH) continue;
            void *sub = wire_alloc(m, f->sub->size);
            fill_value(m, f, sub, rng, depth);
            *(void **)p = sub;
        } else {
            if (f->label == WIRE_L_OPT) *(bool *)wire__at(obj, f->aux_offset) = true;
            fill_value(m, f, p, rng, depth);
        }
    }
}

void wire_random_fill(wire_msg *m, const wire_desc *desc, void *obj, uint64_t *rng)
{
    fill_msg(m, desc, obj, rng, 0);
}
