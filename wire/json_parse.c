/*
 * json_parse.c - JSON text into any message, for the JSON-valued flags and files (ACLs,
 * credentials, rate limits, container info, resources). jansson parses; this file walks the
 * result against the schema the way stout's protobuf::parse does: unknown keys are ignored,
 * enums are names, a scalar given for a repeated field is one element, and a wrong type or a
 * missing required field is an error naming the field's path.
 */
#include "wire/wire_int.h"

#include <jansson.h>
#include <stdio.h>

typedef struct frame {
    const wire_field *f;
    size_t index;
    bool indexed;
} frame;

typedef struct jp {
    wire_msg *m;
    const wire_desc *root;
    int depth;
    frame path[WIRE_MAX_DEPTH + 1];
    char *err;
    size_t errlen;
} jp;

static int fail(jp *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(jp *p, int code, const char *fmt, ...)
{
    if (!p->err || !p->errlen) return code;
    act_buf b = {0};
    act_buf_puts(&b, wire__short_name(p->root));
    for (int k = 0; k <= p->depth && k <= WIRE_MAX_DEPTH; k++) {
        if (!p->path[k].f) break;
        act_buf_printf(&b, ".%s", p->path[k].f->name);
        if (p->path[k].indexed) act_buf_printf(&b, "[%zu]", p->path[k].index);
    }
    act_buf_puts(&b, ": ");
    va_list ap;
    va_start(ap, fmt);
    act_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s", b.data);
    act_buf_free(&b);
    return code;
}

static int parse_object(jp *p, const wire_desc *desc, const json_t *obj, void *out);

/* An integer JSON number (integer, or a real with no fraction) within [lo, hi]. */
static int get_int(jp *p, const json_t *v, double lo, double hi, long long *out)
{
    if (json_is_integer(v)) {
        long long x = json_integer_value(v);
        if ((double)x < lo || (double)x > hi) return fail(p, WIRE_ERANGE, "integer out of range");
        *out = x;
        return 0;
    }
    if (!json_is_real(v)) return fail(p, WIRE_ETYPE, "expected a JSON number");
    double d = json_real_value(v);
    if (d != (double)(long long)d || d < lo || d > hi)
        return fail(p, WIRE_ERANGE, "expected an integer");
    *out = (long long)d;
    return 0;
}

static int get_string(jp *p, const json_t *v, const wire_field *f, void *dst)
{
    if (!json_is_string(v)) return fail(p, WIRE_ETYPE, "expected a JSON string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (f->kind == WIRE_K_STRING && memchr(s, 0, n))
        return fail(p, WIRE_EINVAL, "string contains a NUL");
    uint8_t *copy = wire_alloc(p->m, n + 1);
    memcpy(copy, s, n);
    if (f->kind == WIRE_K_STRING) {
        *(char **)dst = (char *)copy;
    } else {
        ((wire_bytes *)dst)->data = copy;
        ((wire_bytes *)dst)->len = n;
    }
    return 0;
}

static int get_enum(jp *p, const json_t *v, const wire_field *f, int *dst)
{
    if (!json_is_string(v)) return fail(p, WIRE_ETYPE, "expected an enum name");
    const char *s = json_string_value(v);
    if (wire__enum_value(f->en, s, strlen(s), dst) == 0) return 0;
    return fail(p, WIRE_EENUM, "unknown %s value '%.40s'", f->en->name, s);
}

static int parse_value(jp *p, const wire_field *f, const json_t *v, void *dst)
{
    long long x = 0;
    int rc = 0;
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING:
    case WIRE_K_BYTES: return get_string(p, v, f, dst);
    case WIRE_K_BOOL:
        if (!json_is_boolean(v)) return fail(p, WIRE_ETYPE, "expected a JSON boolean");
        *(bool *)dst = json_is_true(v);
        return 0;
    case WIRE_K_INT32:
        rc = get_int(p, v, INT32_MIN, INT32_MAX, &x);
        if (!rc) *(int32_t *)dst = (int32_t)x;
        return rc;
    case WIRE_K_INT64:
        rc = get_int(p, v, -9.2e18, 9.2e18, &x);
        if (!rc) *(int64_t *)dst = x;
        return rc;
    case WIRE_K_UINT32:
        rc = get_int(p, v, 0, UINT32_MAX, &x);
        if (!rc) *(uint32_t *)dst = (uint32_t)x;
        return rc;
    case WIRE_K_UINT64:
        rc = get_int(p, v, 0, 9.2e18, &x);
        if (!rc) *(uint64_t *)dst = (uint64_t)x;
        return rc;
    case WIRE_K_DOUBLE:
        if (!json_is_number(v)) return fail(p, WIRE_ETYPE, "expected a JSON number");
        *(double *)dst = json_number_value(v);
        return 0;
    case WIRE_K_ENUM: return get_enum(p, v, f, dst);
    case WIRE_K_MSG: return parse_object(p, f->sub, v, dst);
    }
    return WIRE_EINVAL;
}

static int parse_repeated(jp *p, const wire_field *f, const json_t *v, void *obj)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1, sz = wire__value_size(f);
    uint8_t *items = wire_alloc(p->m, n * sz);
    frame *fr = &p->path[p->depth];
    fr->indexed = true;
    for (size_t i = 0; i < n; i++) {
        fr->index = i;
        int rc = parse_value(p, f, json_is_array(v) ? json_array_get(v, i) : v, items + i * sz);
        if (rc) return rc;
    }
    fr->indexed = false;
    *(void **)wire__at(obj, f->offset) = items;
    *wire__count(obj, f) = n;
    return 0;
}

static int parse_field(jp *p, const wire_field *f, const json_t *v, void *obj)
{
    void *dst = wire__at(obj, f->offset);
    if (f->label == WIRE_L_REP) return parse_repeated(p, f, v, obj);
    if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG) {
        void *sub = wire_alloc(p->m, f->sub->size);
        *(void **)dst = sub;
        return parse_value(p, f, v, sub);
    }
    int rc = parse_value(p, f, v, dst);
    if (rc == 0 && f->label == WIRE_L_OPT) *(bool *)wire__at(obj, f->aux_offset) = true;
    return rc;
}

static int check_required(jp *p, const wire_desc *desc, uint64_t seen)
{
    for (uint16_t k = 0; k < desc->nfields; k++) {
        if (desc->fields[k].label != WIRE_L_REQ || (seen & ((uint64_t)1 << k))) continue;
        p->path[p->depth].f = &desc->fields[k];
        return fail(p, WIRE_EMISSING, "missing required field");
    }
    return 0;
}

static int parse_fields(jp *p, const wire_desc *desc, const json_t *obj, void *out)
{
    const char *key;
    json_t *v;
    uint64_t seen = 0;
    json_object_foreach((json_t *)obj, key, v)
    {
        const wire_field *f = wire__field_by_name(desc, key, strlen(key));
        if (!f || json_is_null(v)) continue;
        p->path[p->depth] = (frame){.f = f};
        int rc = parse_field(p, f, v, out);
        if (rc) return rc;
        seen |= (uint64_t)1 << (f - desc->fields);
    }
    return check_required(p, desc, seen);
}

static int parse_object(jp *p, const wire_desc *desc, const json_t *obj, void *out)
{
    if (!json_is_object(obj)) return fail(p, WIRE_ETYPE, "expected a JSON object");
    if (p->depth + 1 > WIRE_MAX_DEPTH) return fail(p, WIRE_EDEPTH, "nested too deep");
    p->depth++;
    p->path[p->depth] = (frame){0};
    wire_init(desc, out);
    int rc = parse_fields(p, desc, obj, out);
    p->depth--;
    return rc;
}

int wire__from_jansson(const wire_desc *desc, const void *json, wire_msg *m, void *obj, char *err,
                       size_t errlen)
{
    jp p = {.m = m, .root = desc, .depth = -1, .err = err, .errlen = errlen};
    return parse_object(&p, desc, json, obj);
}

int wire_from_json(const wire_desc *desc, const char *text, size_t len, wire_msg **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return wire__fail(err, errlen, WIRE_EPARSE, "invalid JSON at line %d column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    wire_msg *m = wire__msg_new(desc, 256, 0);
    int rc = wire__from_jansson(desc, root, m, m->root, err, errlen);
    json_decref(root);
    if (rc) {
        wire_msg_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
