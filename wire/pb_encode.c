/*
 * pb_encode.c - writes any message as protobuf (proto2), the encoding Mesos' own processes and
 * the libprocess-speaking framework libraries (libmesos, mesos-go, pesos, jesos) use. Fields
 * go out in schema order, which is ascending field-number order, with the wire types and
 * integer conventions of protobuf's own encoders, so our bytes are the bytes they would write:
 * required fields always, optional ones when set, repeated ones unpacked, int32 and enums
 * sign-extended to ten bytes when negative, doubles little-endian. A nested message's length
 * is written after the message: one byte is reserved first and the body moved up in the rare
 * case its length needs more.
 */
#include "wire/wire_int.h"

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2 };

static size_t varint_to(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void put_varint(act_buf *b, uint64_t v)
{
    b->len += varint_to(wire__buf_room(b, 10), v);
}

static void put_tag(act_buf *b, const wire_field *f, int wire_type)
{
    put_varint(b, ((uint64_t)f->number << 3) | (uint64_t)wire_type);
}

static void put_bytes(act_buf *b, const void *data, size_t n)
{
    put_varint(b, n);
    if (n) {
        memcpy(wire__buf_room(b, n), data, n);
        b->len += n;
    }
}

static void put_double(act_buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    uint8_t *p = wire__buf_room(b, 8);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(bits >> (8 * i));
    b->len += 8;
}

static int enc_msg(act_buf *b, const wire_desc *d, const void *obj, int depth);

/* A nested message: its length, then its fields. */
static int enc_sub(act_buf *b, const wire_desc *d, const void *obj, int depth)
{
    size_t at = b->len;
    *wire__buf_room(b, 1) = 0;
    b->len += 1;
    int rc = enc_msg(b, d, obj, depth + 1);
    if (rc) return rc;
    size_t len = b->len - at - 1;
    uint8_t head[10];
    size_t n = varint_to(head, len);
    if (n > 1) {
        wire__buf_room(b, n - 1);
        memmove(b->data + at + n, b->data + at + 1, len);
        b->len += n - 1;
    }
    memcpy(b->data + at, head, n);
    return 0;
}

/* The varint of a bool, integer or enum value. */
static uint64_t varint_of(const wire_field *f, const void *p)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_BOOL: return *(const bool *)p;
    case WIRE_K_INT32: return (uint64_t)(int64_t)*(const int32_t *)p;
    case WIRE_K_INT64: return (uint64_t)*(const int64_t *)p;
    case WIRE_K_UINT32: return *(const uint32_t *)p;
    case WIRE_K_UINT64: return *(const uint64_t *)p;
    case WIRE_K_ENUM: return (uint64_t)(int64_t)*(const int *)p;
    default: return 0;
    }
}

/* One value of field f (p points at it) with its tag. */
static int enc_value(act_buf *b, const wire_field *f, const void *p, int depth)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: {
        const char *s = wire__str(p);
        put_tag(b, f, WT_LEN);
        put_bytes(b, s, strlen(s));
        return 0;
    }
    case WIRE_K_BYTES:
        put_tag(b, f, WT_LEN);
        put_bytes(b, ((const wire_bytes *)p)->data, ((const wire_bytes *)p)->len);
        return 0;
    case WIRE_K_DOUBLE:
        put_tag(b, f, WT_FIXED64);
        put_double(b, *(const double *)p);
        return 0;
    case WIRE_K_MSG: put_tag(b, f, WT_LEN); return enc_sub(b, f->sub, p, depth);
    case WIRE_K_ENUM:
        if (!wire__enum_valid(f->en, *(const int *)p)) return WIRE_EENUM;
        break;
    default: break;
    }
    put_tag(b, f, WT_VARINT);
    put_varint(b, varint_of(f, p));
    return 0;
}

static int enc_field(act_buf *b, const wire_field *f, const void *obj, int depth)
{
    const void *p = wire__at(obj, f->offset);
    if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG)
        return enc_value(b, f, *(void *const *)p, depth);
    if (f->label != WIRE_L_REP) return enc_value(b, f, p, depth);

    size_t n = *wire__count(obj, f), sz = wire__value_size(f);
    const uint8_t *items = *(void *const *)p;
    for (size_t i = 0; i < n; i++) {
        int rc = enc_value(b, f, items + i * sz, depth);
        if (rc) return rc;
    }
    return 0;
}

static int enc_msg(act_buf *b, const wire_desc *d, const void *obj, int depth)
{
    if (depth > WIRE_MAX_DEPTH) return WIRE_EDEPTH;
    for (uint16_t i = 0; i < d->nfields; i++) {
        const wire_field *f = &d->fields[i];
        if (!wire__present(obj, f)) continue;
        int rc = enc_field(b, f, obj, depth);
        if (rc) return rc;
    }
    return 0;
}

int wire_pb_encode(const wire_desc *desc, const void *obj, act_buf *out)
{
    size_t start = out->len;
    return wire__encode_end(out, start, enc_msg(out, desc, obj, 0));
}
