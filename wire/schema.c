/*
 * schema.c - turns schema.def into data: one field table and descriptor per message, one value
 * table per enum, the list of every type, and lookups by name. The codec, copy, equality and
 * JSON walkers interpret these tables; nothing here knows a particular message.
 */
#include "wire/wire_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- enum tables ------------------------------------------------------------------------- */

#define WIRE_ENUM(e, full) static const wire_enum_value values_##e[] = {
#define WIRE_VAL(e, cname, name, num) {name, num, sizeof(name) - 1},
#define WIRE_ENUM_END(e) };
#include "wire/schema.def"

/* A value's name length is kept in one byte. */
#define WIRE_VAL(e, cname, name, num) \
    _Static_assert(sizeof(name) - 1 <= UINT8_MAX, "enum value name too long: " name);
#include "wire/schema.def"

#define WIRE_ENUM(e, full)                                                                   \
    const wire_enum_desc wire_enum_##e = {full, values_##e,                                  \
                                          sizeof(values_##e) / sizeof(values_##e[0])};       \
    const char *wire_##e##_name(int v)                                                       \
    {                                                                                        \
        const char *n = wire__enum_name(&wire_enum_##e, v);                                  \
        return n ? n : "UNKNOWN";                                                            \
    }                                                                                        \
    int wire_##e##_parse(const char *name, wire_##e *out)                                    \
    {                                                                                        \
        int v = 0;                                                                           \
        int rc = wire__enum_value(&wire_enum_##e, name, strlen(name), &v);                   \
        if (rc == 0) *out = (wire_##e)v;                                                     \
        return rc;                                                                           \
    }
#include "wire/schema.def"

bool wire_task_state_terminal(wire_task_state s)
{
    return s == WIRE_TASK_FINISHED || s == WIRE_TASK_FAILED || s == WIRE_TASK_KILLED ||
           s == WIRE_TASK_LOST || s == WIRE_TASK_ERROR;
}

/* ---- field tables ------------------------------------------------------------------------ */

#define WIRE_DEF_STRING(v) {.s = (v)}
#define WIRE_DEF_BYTES(v) {.s = (v)}
#define WIRE_DEF_BOOL(v) {.b = (v)}
#define WIRE_DEF_INT32(v) {.i = (v)}
#define WIRE_DEF_INT64(v) {.i = (v)}
#define WIRE_DEF_UINT32(v) {.u = (v)}
#define WIRE_DEF_UINT64(v) {.u = (v)}
#define WIRE_DEF_DOUBLE(v) {.d = (v)}

#define WIRE_FB(m, f, n, k, l)                                                               \
    .name = #f, .name_len = sizeof(#f) - 1, .number = (n), .kind = (k), .label = (l),        \
    .offset = offsetof(wire_##m, f)

#define WIRE_MSG(m, full) static const wire_field fields_##m[] = {
#define WIRE_END(m)                                                                          \
    {.name = NULL}                                                                           \
    }                                                                                        \
    ;                                                                                        \
    _Static_assert(sizeof(fields_##m) / sizeof(fields_##m[0]) - 1 <= WIRE_MAX_FIELDS,        \
                   #m " has too many fields");
#define WIRE_REQ(m, K, f, n) {WIRE_FB(m, f, n, WIRE_K_##K, WIRE_L_REQ)},
#define WIRE_OPT(m, K, f, n, d)                                                              \
    {WIRE_FB(m, f, n, WIRE_K_##K, WIRE_L_OPT), .aux_offset = offsetof(wire_##m, has_##f),    \
     .def = WIRE_DEF_##K(d)},
#define WIRE_REP(m, K, f, n)                                                                 \
    {WIRE_FB(m, f, n, WIRE_K_##K, WIRE_L_REP), .aux_offset = offsetof(wire_##m, f##_count)},
#define WIRE_REQ_E(m, e, f, n)                                                               \
    {WIRE_FB(m, f, n, WIRE_K_ENUM, WIRE_L_REQ), .en = &wire_enum_##e},
#define WIRE_OPT_E(m, e, f, n, d)                                                            \
    {WIRE_FB(m, f, n, WIRE_K_ENUM, WIRE_L_OPT), .aux_offset = offsetof(wire_##m, has_##f),   \
     .en = &wire_enum_##e, .def = {.enumv = (d)}},
#define WIRE_REP_E(m, e, f, n)                                                               \
    {WIRE_FB(m, f, n, WIRE_K_ENUM, WIRE_L_REP), .aux_offset = offsetof(wire_##m, f##_count), \
     .en = &wire_enum_##e},
#define WIRE_REQ_M(m, s, f, n)                                                               \
    {WIRE_FB(m, f, n, WIRE_K_MSG, WIRE_L_REQ), .sub = &wire_desc_##s},
#define WIRE_OPT_M(m, s, f, n)                                                               \
    {WIRE_FB(m, f, n, WIRE_K_MSG, WIRE_L_OPT), .sub = &wire_desc_##s},
#define WIRE_REP_M(m, s, f, n)                                                               \
    {WIRE_FB(m, f, n, WIRE_K_MSG, WIRE_L_REP), .aux_offset = offsetof(wire_##m, f##_count),  \
     .sub = &wire_desc_##s},
#include "wire/schema.def"

/* ---- descriptors ------------------------------------------------------------------------- */

enum {
#define WIRE_MSG(m, full) WIRE_IX_##m,
#include "wire/schema.def"
    WIRE_NTYPES
};

/* Each field's position in its message's table (WIRE_FI_<message>_<field>), so a descriptor's
 * mask of required fields is a constant. */
#define WIRE_MSG(m, full) enum {
#define WIRE_END(m) WIRE_NF_##m };
#define WIRE_FI(m, f) WIRE_FI_##m##_##f,
#define WIRE_REQ(m, K, f, n) WIRE_FI(m, f)
#define WIRE_OPT(m, K, f, n, d) WIRE_FI(m, f)
#define WIRE_REP(m, K, f, n) WIRE_FI(m, f)
#define WIRE_REQ_E(m, e, f, n) WIRE_FI(m, f)
#define WIRE_OPT_E(m, e, f, n, d) WIRE_FI(m, f)
#define WIRE_REP_E(m, e, f, n) WIRE_FI(m, f)
#define WIRE_REQ_M(m, s, f, n) WIRE_FI(m, f)
#define WIRE_OPT_M(m, s, f, n) WIRE_FI(m, f)
#define WIRE_REP_M(m, s, f, n) WIRE_FI(m, f)
#include "wire/schema.def"
#undef WIRE_FI

/* Room for each type's blank (filled once by message.c). */
#define WIRE_MSG(m, full) static uint64_t blank_##m[(sizeof(wire_##m) + 7) / 8];
#include "wire/schema.def"

/* The descriptor; its initializer ends with the required mask, one term per required field. */
#define WIRE_MSG(m, full)                                                                    \
    const wire_desc wire_desc_##m = {                                                        \
        .name = full,                                                                        \
        .size = sizeof(wire_##m),                                                            \
        .fields = fields_##m,                                                                \
        .nfields = sizeof(fields_##m) / sizeof(fields_##m[0]) - 1,                           \
        .index = WIRE_IX_##m,                                                                \
        .blank = blank_##m,                                                                  \
        .required = 0
#define WIRE_END(m) };
#define WIRE_REQ_BIT(m, f) | ((uint64_t)1 << WIRE_FI_##m##_##f)
#define WIRE_REQ(m, K, f, n) WIRE_REQ_BIT(m, f)
#define WIRE_REQ_E(m, e, f, n) WIRE_REQ_BIT(m, f)
#define WIRE_REQ_M(m, s, f, n) WIRE_REQ_BIT(m, f)
#include "wire/schema.def"
#undef WIRE_REQ_BIT

static const wire_desc *const all_types[WIRE_NTYPES] = {
#define WIRE_MSG(m, full) &wire_desc_##m,
#include "wire/schema.def"
};

size_t wire_type_count(void)
{
    return WIRE_NTYPES;
}

const wire_desc *wire_type_at(size_t i)
{
    return i < WIRE_NTYPES ? all_types[i] : NULL;
}

const char *wire_type_name(const wire_desc *d)
{
    return d->name;
}

size_t wire_type_size(const wire_desc *d)
{
    return d->size;
}

/* ---- lookups built once ------------------------------------------------------------------ */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const wire_desc *by_name[WIRE_NTYPES];       /* sorted by full name */
static uint8_t sorted_fields[WIRE_NTYPES][WIRE_MAX_FIELDS];

static int cmp_desc_name(const void *a, const void *b)
{
    const wire_desc *x = *(const wire_desc *const *)a, *y = *(const wire_desc *const *)b;
    return strcmp(x->name, y->name);
}

/* Insertion sort of one type's field indices by name (a few dozen at most, once). */
static void sort_fields(const wire_desc *d, uint8_t *order)
{
    for (uint16_t i = 0; i < d->nfields; i++) {
        uint8_t v = (uint8_t)i;
        int k = (int)i - 1;
        while (k >= 0 && strcmp(d->fields[order[k]].name, d->fields[v].name) > 0) {
            order[k + 1] = order[k];
            k--;
        }
        order[k + 1] = v;
    }
}

static void build_lookups(void)
{
    for (size_t i = 0; i < WIRE_NTYPES; i++) {
        by_name[i] = all_types[i];
        sort_fields(all_types[i], sorted_fields[i]);
    }
    qsort(by_name, WIRE_NTYPES, sizeof by_name[0], cmp_desc_name);
}

/* A reader decodes runs of one type (a watcher's stream, a daemon's burst of status
 * updates): the type this thread found last is tried first, one compare instead of the seven
 * of a binary search. */
static _Thread_local const wire_desc *last_found;

const wire_desc *wire_type_by_name(const char *name)
{
    const wire_desc *last = last_found;
    if (last && strcmp(name, last->name) == 0) return last;
    pthread_once(&once, build_lookups);
    size_t lo = 0, hi = WIRE_NTYPES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, by_name[mid]->name);
        if (c == 0) return last_found = by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const uint8_t *wire__sorted_fields(const wire_desc *d)
{
    pthread_once(&once, build_lookups);
    return sorted_fields[d->index];
}

const char *wire__short_name(const wire_desc *d)
{
    static const char internal[] = "mesos.internal.", pub[] = "mesos.";
    if (strncmp(d->name, internal, sizeof internal - 1) == 0) return d->name + sizeof internal - 1;
    if (strncmp(d->name, pub, sizeof pub - 1) == 0) return d->name + sizeof pub - 1;
    return d->name;
}

const wire_field *wire__field_by_name(const wire_desc *d, const char *name, size_t len)
{
    for (uint16_t i = 0; i < d->nfields; i++) {
        const wire_field *f = &d->fields[i];
        if (f->name_len == len && memcmp(f->name, name, len) == 0) return f;
    }
    return NULL;
}

/* ---- enums ------------------------------------------------------------------------------- */

const wire_enum_value *wire__enum_find(const wire_enum_desc *e, int v)
{
    for (size_t i = 0; i < e->count; i++)
        if (e->values[i].number == v) return &e->values[i];
    return NULL;
}

const char *wire__enum_name(const wire_enum_desc *e, int v)
{
    const wire_enum_value *ev = wire__enum_find(e, v);
    return ev ? ev->name : NULL;
}

bool wire__enum_valid(const wire_enum_desc *e, int v)
{
    return wire__enum_name(e, v) != NULL;
}

int wire__enum_value(const wire_enum_desc *e, const char *name, size_t len, int *out)
{
    for (size_t i = 0; i < e->count; i++) {
        const wire_enum_value *ev = &e->values[i];
        if (ev->len == len && memcmp(ev->name, name, len) == 0) {
            *out = e->values[i].number;
            return 0;
        }
    }
    return WIRE_EENUM;
}

/* ---- field helpers ----------------------------------------------------------------------- */

size_t wire__value_size(const wire_field *f)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: return sizeof(char *);
    case WIRE_K_BYTES: return sizeof(wire_bytes);
    case WIRE_K_BOOL: return sizeof(bool);
    case WIRE_K_INT32: return sizeof(int32_t);
    case WIRE_K_INT64: return sizeof(int64_t);
    case WIRE_K_UINT32: return sizeof(uint32_t);
    case WIRE_K_UINT64: return sizeof(uint64_t);
    case WIRE_K_DOUBLE: return sizeof(double);
    case WIRE_K_ENUM: return sizeof(int);
    case WIRE_K_MSG: return f->sub->size;
    }
    return 0;
}

/* ---- errors ------------------------------------------------------------------------------ */

const char *wire_strerror(int err)
{
    switch (err) {
#define WIRE_ERROR_CASE(name, code, text)                                                    \
    case code: return text;
        WIRE_ERRORS(WIRE_ERROR_CASE)
#undef WIRE_ERROR_CASE
    default: return act_strerror(err);
    }
}

int wire__fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

int wire__path_fail(char *err, size_t errlen, const wire_desc *root, const wire__frame *path,
                    int depth, int code, const char *fmt, va_list ap)
{
    if (!err || !errlen) return code;
    act_buf b = {0};
    act_buf_puts(&b, wire__short_name(root));
    for (int k = 0; k <= depth && k <= WIRE_MAX_DEPTH; k++) {
        if (!path[k].f) break;
        act_buf_printf(&b, ".%s", path[k].f->name);
        if (path[k].indexed) act_buf_printf(&b, "[%zu]", path[k].index);
    }
    act_buf_puts(&b, ": ");
    act_buf_vprintf(&b, fmt, ap);
    snprintf(err, errlen, "%s", b.data);
    act_buf_free(&b);
    return code;
}
