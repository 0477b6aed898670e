/*
 * encode.c - writes any message as msgpack into an act_buf: a map keyed by field name, repeated
 * fields as arrays, enums as their names, bytes as bin, integers in the smallest width. The
 * writer is our own (a few lines per msgpack type) so encoding is one pass with no
 * intermediate objects; decode.c reads what it writes.
 */
#include "wire/wire_int.h"

static inline void put1(act_buf *b, uint8_t c)
{
    *wire__buf_room(b, 1) = c;
    b->len += 1;
}

static inline void put_be(act_buf *b, uint8_t tag, uint64_t v, int bytes)
{
    uint8_t *p = wire__buf_room(b, 1 + (size_t)bytes);
    p[0] = tag;
    if (bytes == 8) {
        uint64_t w = __builtin_bswap64(v);
        memcpy(p + 1, &w, 8);
    } else {
        for (int i = 0; i < bytes; i++) p[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    }
    b->len += 1 + (size_t)bytes;
}

static void put_uint(act_buf *b, uint64_t v)
{
    if (v < 0x80)
        put1(b, (uint8_t)v);
    else if (v <= 0xff)
        put_be(b, 0xcc, v, 1);
    else if (v <= 0xffff)
        put_be(b, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        put_be(b, 0xce, v, 4);
    else
        put_be(b, 0xcf, v, 8);
}

static void put_int(act_buf *b, int64_t v)
{
    if (v >= 0)
        put_uint(b, (uint64_t)v);
    else if (v >= -32)
        put1(b, (uint8_t)(int8_t)v);
    else if (v >= INT8_MIN)
        put_be(b, 0xd0, (uint64_t)v, 1);
    else if (v >= INT16_MIN)
        put_be(b, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN)
        put_be(b, 0xd2, (uint64_t)v, 4);
    else
        put_be(b, 0xd3, (uint64_t)v, 8);
}

static void put_double(act_buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    put_be(b, 0xcb, bits, 8);
}

/* A str of 32 bytes or more (tags 0xd9/0xda/0xdb: put_str writes the shorter ones) or a bin
 * (0xc4/0xc5/0xc6) of n bytes. */
static void put_raw(act_buf *b, bool bin, const void *data, size_t n)
{
    if (n <= 0xff)
        put_be(b, bin ? 0xc4 : 0xd9, n, 1);
    else if (n <= 0xffff)
        put_be(b, bin ? 0xc5 : 0xda, n, 2);
    else
        put_be(b, bin ? 0xc6 : 0xdb, n, 4);
    if (n) {
        memcpy(wire__buf_room(b, n), data, n);
        b->len += n;
    }
}

/* A string: most (keys, IDs, enum names) are fixstrs, header and bytes in one reservation. */
static inline void put_str(act_buf *b, const char *s, size_t n)
{
    if (n >= 32) {
        put_raw(b, false, s, n);
        return;
    }
    uint8_t *p = wire__buf_room(b, 1 + n);
    p[0] = (uint8_t)(0xa0 | n);
    wire__copy_short(p + 1, (const uint8_t *)s, n);
    b->len += 1 + n;
}

static void put_container(act_buf *b, bool map, size_t n)
{
    if (n < 16)
        put1(b, (uint8_t)((map ? 0x80 : 0x90) | n));
    else if (n <= 0xffff)
        put_be(b, map ? 0xde : 0xdc, n, 2);
    else
        put_be(b, map ? 0xdf : 0xdd, n, 4);
}

static int enc_msg(act_buf *b, const wire_desc *d, const void *obj, int depth);

static int enc_value(act_buf *b, const wire_field *f, const void *p, int depth)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: {
        const char *s = wire__str(p);
        put_str(b, s, strlen(s));
        return 0;
    }
    case WIRE_K_BYTES:
        put_raw(b, true, ((const wire_bytes *)p)->data, ((const wire_bytes *)p)->len);
        return 0;
    case WIRE_K_BOOL: put1(b, *(const bool *)p ? 0xc3 : 0xc2); return 0;
    case WIRE_K_INT32: put_int(b, *(const int32_t *)p); return 0;
    case WIRE_K_INT64: put_int(b, *(const int64_t *)p); return 0;
    case WIRE_K_UINT32: put_uint(b, *(const uint32_t *)p); return 0;
    case WIRE_K_UINT64: put_uint(b, *(const uint64_t *)p); return 0;
    case WIRE_K_DOUBLE: put_double(b, *(const double *)p); return 0;
    case WIRE_K_ENUM: {
        const wire_enum_value *ev = wire__enum_find(f->en, *(const int *)p);
        if (!ev) return WIRE_EENUM;
        put_str(b, ev->name, ev->len);
        return 0;
    }
    case WIRE_K_MSG: return enc_msg(b, f->sub, p, depth + 1);
    }
    return WIRE_EINVAL;
}

static int enc_field(act_buf *b, const wire_field *f, const void *obj, int depth)
{
    const void *p = wire__at(obj, f->offset);
    put_str(b, f->name, f->name_len);
    if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG)
        return enc_value(b, f, *(void *const *)p, depth);
    if (f->label != WIRE_L_REP) return enc_value(b, f, p, depth);

    size_t n = *wire__count(obj, f), sz = wire__value_size(f);
    const uint8_t *items = *(void *const *)p;
    put_container(b, false, n);
    for (size_t i = 0; i < n; i++) {
        int rc = enc_value(b, f, items + i * sz, depth);
        if (rc) return rc;
    }
    return 0;
}

/* A type of fewer than 16 fields always gets a one-byte map header (fixmap), so the header is
 * written last, in the place kept for it, and the fields are walked once. */
static int enc_msg(act_buf *b, const wire_desc *d, const void *obj, int depth)
{
    if (depth > WIRE_MAX_DEPTH) return WIRE_EDEPTH;
    size_t n = 0, at = b->len;
    if (d->nfields < 16) {
        put1(b, 0x80);
    } else {
        for (uint16_t i = 0; i < d->nfields; i++) n += wire__present(obj, &d->fields[i]);
        put_container(b, true, n);
    }
    size_t written = 0;
    for (uint16_t i = 0; i < d->nfields; i++) {
        const wire_field *f = &d->fields[i];
        if (!wire__present(obj, f)) continue;
        int rc = enc_field(b, f, obj, depth);
        if (rc) return rc;
        written++;
    }
    if (d->nfields < 16) b->data[at] = (char)(0x80 | written);
    return 0;
}

int wire__encode_end(act_buf *out, size_t start, int rc)
{
    if (rc) out->len = start;
    act_buf_reserve(out, 0);
    out->data[out->len] = '\0';
    return rc;
}

int wire_encode(const wire_desc *desc, const void *obj, act_buf *out)
{
    size_t start = out->len;
    return wire__encode_end(out, start, enc_msg(out, desc, obj, 0));
}
