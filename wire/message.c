/*
 * message.c - the generic walks over any message that are neither encoding nor JSON: setting
 * defaults, deep copy into an arena, and deep equality. Each interprets the descriptor tables
 * from schema.c, so every generated type gets them for free.
 */
#include "wire/wire_int.h"

#include <math.h>
#include <pthread.h>

static char empty[] = "";

/* ---- defaults ---------------------------------------------------------------------------- */

static void init_optional(const wire_field *f, void *p)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: *(const char **)p = f->def.s; break;
    case WIRE_K_BYTES: ((wire_bytes *)p)->data = (uint8_t *)empty; break;
    case WIRE_K_BOOL: *(bool *)p = f->def.b; break;
    case WIRE_K_INT32: *(int32_t *)p = (int32_t)f->def.i; break;
    case WIRE_K_INT64: *(int64_t *)p = f->def.i; break;
    case WIRE_K_UINT32: *(uint32_t *)p = (uint32_t)f->def.u; break;
    case WIRE_K_UINT64: *(uint64_t *)p = f->def.u; break;
    case WIRE_K_DOUBLE: *(double *)p = f->def.d; break;
    case WIRE_K_ENUM: *(int *)p = f->def.enumv; break;
    case WIRE_K_MSG: break;
    }
}

static void init_required(const wire_field *f, void *p)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: *(char **)p = empty; break;
    case WIRE_K_BYTES: ((wire_bytes *)p)->data = (uint8_t *)empty; break;
    case WIRE_K_ENUM: *(int *)p = f->en->values[0].number; break;
    default: break; /* zero; a required sub-message is filled by wire__init when deep */
    }
}

/* Sets every field of obj to its default, required sub-messages to zero. */
static void init_fields(const wire_desc *desc, void *obj)
{
    memset(obj, 0, desc->size);
    for (uint16_t i = 0; i < desc->nfields; i++) {
        const wire_field *f = &desc->fields[i];
        void *p = wire__at(obj, f->offset);
        if (f->label == WIRE_L_REQ)
            init_required(f, p);
        else if (f->label == WIRE_L_OPT)
            init_optional(f, p);
    }
}

/* Each type's blank is built once, so initialising a message (every sub-message a decoder
 * reads) is one copy instead of a walk over its fields. */
static pthread_once_t blanks_once = PTHREAD_ONCE_INIT;

static void fill_blanks(void)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        init_fields(d, d->blank);
    }
}

void wire__blanks_ready(void)
{
    pthread_once(&blanks_once, fill_blanks);
}

void wire__init(const wire_desc *desc, void *obj, bool deep)
{
    wire__blanks_ready();
    wire__init_blank(desc, obj);
    if (!deep) return;
    for (uint16_t i = 0; i < desc->nfields; i++) {
        const wire_field *f = &desc->fields[i];
        if (f->label == WIRE_L_REQ && f->kind == WIRE_K_MSG)
            wire__init(f->sub, wire__at(obj, f->offset), true);
    }
}

void wire_init(const wire_desc *desc, void *obj)
{
    wire__init(desc, obj, true);
}

/* ---- deep copy --------------------------------------------------------------------------- */

static void copy_value(wire_msg *m, const wire_field *f, void *dst, const void *src)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: *(char **)dst = wire_strdup(m, wire__str(src)); break;
    case WIRE_K_BYTES: {
        const wire_bytes *s = src;
        wire_bytes *d = dst;
        d->data = wire_alloc(m, s->len + 1);
        if (s->len) memcpy(d->data, s->data, s->len);
        d->len = s->len;
        break;
    }
    case WIRE_K_MSG: wire_copy_into(m, f->sub, dst, src); break;
    default: memcpy(dst, src, wire__value_size(f)); break;
    }
}

static void copy_repeated(wire_msg *m, const wire_field *f, void *dst_obj, const void *src_obj)
{
    size_t n = *wire__count(src_obj, f), sz = wire__value_size(f);
    const uint8_t *src = *(void *const *)wire__at(src_obj, f->offset);
    uint8_t *dst = n ? wire_alloc(m, n * sz) : NULL;
    for (size_t i = 0; i < n; i++) copy_value(m, f, dst + i * sz, src + i * sz);
    *(void **)wire__at(dst_obj, f->offset) = dst;
    *wire__count(dst_obj, f) = n;
}

static void copy_field(wire_msg *m, const wire_field *f, void *dst_obj, const void *src_obj)
{
    void *dst = wire__at(dst_obj, f->offset);
    const void *src = wire__at(src_obj, f->offset);
    if (f->label == WIRE_L_REP) {
        copy_repeated(m, f, dst_obj, src_obj);
    } else if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG) {
        const void *sub = *(void *const *)src;
        void *copy = NULL;
        if (sub) {
            copy = wire_alloc(m, f->sub->size);
            wire_copy_into(m, f->sub, copy, sub);
        }
        *(void **)dst = copy;
    } else {
        if (f->label == WIRE_L_OPT)
            *(bool *)wire__at(dst_obj, f->aux_offset) = wire__has(src_obj, f);
        copy_value(m, f, dst, src);
    }
}

void wire_copy_into(wire_msg *m, const wire_desc *desc, void *dst, const void *src)
{
    memset(dst, 0, desc->size);
    for (uint16_t i = 0; i < desc->nfields; i++) copy_field(m, &desc->fields[i], dst, src);
}

wire_msg *wire_copy(const wire_desc *desc, const void *obj)
{
    wire_msg *m = wire__msg_new(desc, 256, 0);
    wire_copy_into(m, desc, m->root, obj);
    return m;
}

/* ---- equality ---------------------------------------------------------------------------- */

static bool value_equal(const wire_field *f, const void *a, const void *b)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: return strcmp(wire__str(a), wire__str(b)) == 0;
    case WIRE_K_BYTES: {
        const wire_bytes *x = a, *y = b;
        return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
    }
    case WIRE_K_BOOL: return *(const bool *)a == *(const bool *)b;
    case WIRE_K_INT32: return *(const int32_t *)a == *(const int32_t *)b;
    case WIRE_K_INT64: return *(const int64_t *)a == *(const int64_t *)b;
    case WIRE_K_UINT32: return *(const uint32_t *)a == *(const uint32_t *)b;
    case WIRE_K_UINT64: return *(const uint64_t *)a == *(const uint64_t *)b;
    case WIRE_K_DOUBLE: {
        double x = *(const double *)a, y = *(const double *)b;
        return x == y || (isnan(x) && isnan(y));
    }
    case WIRE_K_ENUM: return *(const int *)a == *(const int *)b;
    case WIRE_K_MSG: return wire_equal(f->sub, a, b);
    }
    return false;
}

static bool repeated_equal(const wire_field *f, const void *a_obj, const void *b_obj)
{
    size_t n = *wire__count(a_obj, f), sz = wire__value_size(f);
    if (n != *wire__count(b_obj, f)) return false;
    const uint8_t *a = *(void *const *)wire__at(a_obj, f->offset);
    const uint8_t *b = *(void *const *)wire__at(b_obj, f->offset);
    for (size_t i = 0; i < n; i++)
        if (!value_equal(f, a + i * sz, b + i * sz)) return false;
    return true;
}

static bool field_equal(const wire_field *f, const void *a_obj, const void *b_obj)
{
    if (f->label == WIRE_L_REP) return repeated_equal(f, a_obj, b_obj);
    const void *a = wire__at(a_obj, f->offset), *b = wire__at(b_obj, f->offset);
    if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG) {
        const void *x = *(void *const *)a, *y = *(void *const *)b;
        if (!x || !y) return x == y;
        return wire_equal(f->sub, x, y);
    }
    if (f->label == WIRE_L_OPT) {
        bool ha = wire__has(a_obj, f), hb = wire__has(b_obj, f);
        if (ha != hb) return false;
        if (!ha) return true;
    }
    return value_equal(f, a, b);
}

bool wire_equal(const wire_desc *desc, const void *a, const void *b)
{
    for (uint16_t i = 0; i < desc->nfields; i++)
        if (!field_equal(&desc->fields[i], a, b)) return false;
    return true;
}
