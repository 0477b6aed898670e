/*
 * decode.c - reads msgpack from the network into any message, trusting nothing. A cursor walks
 * the bytes; every length and count is checked against the bytes that remain before anything
 * is allocated, nesting is bounded, unknown keys are skipped without recursion, and the arena
 * refuses to grow past WIRE_EXPANSION times the input. Errors name the path of the bad field:
 * "TaskInfo.resources[2].name: expected string". With a pick (wire_decode_picked) the fields
 * it leaves out are skipped like unknown keys, still counted as present and checked for
 * duplicates.
 */
#include "wire/wire_int.h"

#include <stdio.h>

typedef enum item_type {
    T_NIL,
    T_BOOL,
    T_UINT, /* any non-negative integer */
    T_INT,  /* a negative integer */
    T_FLOAT,
    T_STR,
    T_BIN,
    T_ARR,
    T_MAP,
    T_EXT,
} item_type;

/* One msgpack item header (and, for str/bin/ext, its payload). */
typedef struct item {
    item_type type;
    bool b;
    uint64_t u;          /* T_UINT value; T_ARR / T_MAP count; T_STR / T_BIN / T_EXT length */
    int64_t i;           /* T_INT value */
    double f;            /* T_FLOAT value */
    const uint8_t *data; /* T_STR / T_BIN / T_EXT payload */
} item;

typedef struct dec {
    const uint8_t *p, *end;
    wire_msg *m;
    const wire_desc *root;
    const wire_pick *pick; /* of the message being read; NULL: all of it */
    int depth;
    wire__frame *path;     /* WIRE_MAX_DEPTH + 1 frames, each cleared as its level is entered */
    char *err;
    size_t errlen;
} dec;

static size_t remaining(const dec *d)
{
    return (size_t)(d->end - d->p);
}

/* Formats "Root.field[i].field: <what>" into d->err and returns code. */
static int fail(dec *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(dec *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wire__path_fail(d->err, d->errlen, d->root, d->path, d->depth, code, fmt, ap);
    va_end(ap);
    return code;
}

/* An n-byte big-endian number (n is 1, 2, 4 or 8). */
static uint64_t be(const uint8_t *p, int n)
{
    uint16_t v2;
    uint32_t v4;
    uint64_t v8;
    switch (n) {
    case 1: return p[0];
    case 2: memcpy(&v2, p, 2); return __builtin_bswap16(v2);
    case 4: memcpy(&v4, p, 4); return __builtin_bswap32(v4);
    default: memcpy(&v8, p, 8); return __builtin_bswap64(v8);
    }
}

/* Reads an n-byte big-endian length or count after the tag. */
static int read_len(dec *d, int n, uint64_t *out)
{
    if (remaining(d) < (size_t)n) return fail(d, WIRE_ETRUNCATED, "truncated");
    *out = be(d->p, n);
    d->p += n;
    return 0;
}

/* Takes a payload of it->u bytes (str/bin/ext) after checking it is there. */
static int read_payload(dec *d, item *it)
{
    if (it->u > remaining(d))
        return fail(d, WIRE_ETRUNCATED, "length %llu exceeds the %zu bytes left",
                    (unsigned long long)it->u, remaining(d));
    it->data = d->p;
    d->p += it->u;
    return 0;
}

/* A container of it->u elements, each at least `min` bytes: the count must fit what is left. */
static int check_count(dec *d, const item *it, uint64_t min)
{
    if (it->u > remaining(d) / min)
        return fail(d, WIRE_ETRUNCATED, "count %llu exceeds the %zu bytes left",
                    (unsigned long long)it->u, remaining(d));
    return 0;
}

static int read_number(dec *d, uint8_t tag, item *it)
{
    static const int width[] = {1, 2, 4, 8};
    int rc;
    if (tag >= 0xcc && tag <= 0xcf) {
        it->type = T_UINT;
        return read_len(d, width[tag - 0xcc], &it->u);
    }
    uint64_t raw = 0;
    int w = width[tag - 0xd0];
    if ((rc = read_len(d, w, &raw))) return rc;
    int shift = 64 - 8 * w;
    int64_t v = (int64_t)(raw << shift) >> shift; /* sign-extend */
    if (v >= 0) {
        it->type = T_UINT;
        it->u = (uint64_t)v;
    } else {
        it->type = T_INT;
        it->i = v;
    }
    return 0;
}

static int read_float(dec *d, uint8_t tag, item *it)
{
    uint64_t raw = 0;
    int rc = read_len(d, tag == 0xca ? 4 : 8, &raw);
    if (rc) return rc;
    it->type = T_FLOAT;
    if (tag == 0xca) {
        uint32_t r32 = (uint32_t)raw;
        float f;
        memcpy(&f, &r32, sizeof f);
        it->f = f;
    } else {
        memcpy(&it->f, &raw, sizeof it->f);
    }
    return 0;
}

/* str / bin / ext with an explicit length field of 1, 2 or 4 bytes; ext also has a type byte. */
static int read_sized(dec *d, uint8_t tag, item *it)
{
    uint8_t first;
    if (tag >= 0xc4 && tag <= 0xc6)
        it->type = T_BIN, first = 0xc4;
    else if (tag >= 0xc7 && tag <= 0xc9)
        it->type = T_EXT, first = 0xc7;
    else if (tag >= 0xd9 && tag <= 0xdb)
        it->type = T_STR, first = 0xd9;
    else
        return fail(d, WIRE_ETYPE, "invalid msgpack tag 0x%02x", tag);
    int rc = read_len(d, 1 << (tag - first), &it->u);
    if (rc) return rc;
    if (it->type == T_EXT) it->u += 1; /* the type byte */
    return read_payload(d, it);
}

static int read_container(dec *d, uint8_t tag, item *it)
{
    bool map = tag == 0xde || tag == 0xdf;
    it->type = map ? T_MAP : T_ARR;
    int rc = read_len(d, (tag == 0xdc || tag == 0xde) ? 2 : 4, &it->u);
    return rc ? rc : check_count(d, it, map ? 2 : 1);
}

/* The tags from 0xc0 on (after the tag byte): nil, bool, the sized and numeric forms. str 8
 * and bin 8 come first: an ID ("20150113-142013-16842879-5050-5237-S0") is longer than a
 * fixstr, a UUID is 16 bytes of bin. */
static int read_item_long(dec *d, uint8_t tag, item *it)
{
    switch (tag) {
    case 0xc4:
    case 0xd9:
        if (d->p == d->end) return fail(d, WIRE_ETRUNCATED, "truncated");
        it->type = tag == 0xd9 ? T_STR : T_BIN;
        it->u = *d->p++;
        return read_payload(d, it);
    case 0xc0: it->type = T_NIL; return 0;
    case 0xc2:
    case 0xc3:
        it->type = T_BOOL;
        it->b = tag == 0xc3;
        return 0;
    case 0xca:
    case 0xcb: return read_float(d, tag, it);
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: return read_container(d, tag, it);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        it->type = T_EXT;
        it->u = 1 + ((uint64_t)1 << (tag - 0xd4));
        return read_payload(d, it);
    default: break;
    }
    if (tag >= 0xcc && tag <= 0xd3) return read_number(d, tag, it);
    return read_sized(d, tag, it);
}

/* Reads one item header (and any str/bin/ext payload), checking every size against the input.
 * The one-byte forms, which are most of what our encoder writes, are read here. */
static inline int read_item(dec *d, item *it)
{
    if (d->p == d->end) return fail(d, WIRE_ETRUNCATED, "truncated");
    uint8_t tag = *d->p++;
    if (tag <= 0x7f) return it->type = T_UINT, it->u = tag, 0;
    if (tag >= 0xe0) return it->type = T_INT, it->i = (int8_t)tag, 0;
    if (tag <= 0x8f) return it->type = T_MAP, it->u = tag & 0x0f, check_count(d, it, 2);
    if (tag <= 0x9f) return it->type = T_ARR, it->u = tag & 0x0f, check_count(d, it, 1);
    if (tag <= 0xbf) return it->type = T_STR, it->u = tag & 0x1f, read_payload(d, it);
    return read_item_long(d, tag, it);
}

/* Skips one value of any shape without recursion: left[k] counts the items still to read at
 * nesting level k. Containers count toward the nesting limit like messages do, so a hostile
 * pile of nested arrays is refused rather than walked. */
static int skip_value(dec *d)
{
    uint64_t left[WIRE_MAX_DEPTH + 1];
    int top = 0, room = WIRE_MAX_DEPTH - d->depth - 1; /* levels left below this field */
    left[0] = 1;
    while (top >= 0) {
        if (left[top] == 0) {
            top--;
            continue;
        }
        left[top]--;
        item it;
        int rc = read_item(d, &it);
        if (rc) return rc;
        uint64_t n = it.type == T_MAP ? 2 * it.u : it.type == T_ARR ? it.u : 0;
        if (n == 0) continue;
        if (top + 1 > room) return fail(d, WIRE_EDEPTH, "nested deeper than %d", WIRE_MAX_DEPTH);
        left[++top] = n;
    }
    return 0;
}

/* Every byte the decoder takes from the arena it writes before the message is returned (a
 * value, a sub-message's blank, a string and its NUL), so it takes them unzeroed. */
static void *arena(dec *d, size_t n)
{
    return wire__arena_take(d->m, n);
}

static int limit_exceeded(dec *d)
{
    return fail(d, WIRE_ELIMIT, "message expands beyond %dx its size", WIRE_EXPANSION);
}

/* ---- values ------------------------------------------------------------------------------ */

static int dec_msg(dec *d, const wire_desc *desc, void *obj, const item *hdr);

static int dec_raw(dec *d, const wire_field *f, const item *it, void *p)
{
    if (it->type != T_STR && it->type != T_BIN)
        return fail(d, WIRE_ETYPE, "expected %s", f->kind == WIRE_K_STRING ? "string" : "bytes");
    if (f->kind == WIRE_K_STRING && memchr(it->data, 0, it->u))
        return fail(d, WIRE_EINVAL, "string contains a NUL byte");
    uint8_t *copy = arena(d, it->u + 1);
    if (!copy) return limit_exceeded(d);
    if (it->u < 32)
        wire__copy_short(copy, it->data, it->u);
    else
        memcpy(copy, it->data, it->u);
    copy[it->u] = '\0';
    if (f->kind == WIRE_K_STRING) {
        *(char **)p = (char *)copy;
    } else {
        ((wire_bytes *)p)->data = copy;
        ((wire_bytes *)p)->len = it->u;
    }
    return 0;
}

/* An integer item as a signed value within [lo, hi] (hi <= INT64_MAX). */
static int int_in(dec *d, const item *it, int64_t lo, int64_t hi, int64_t *out)
{
    if (it->type != T_UINT && it->type != T_INT) return fail(d, WIRE_ETYPE, "expected integer");
    if (it->type == T_UINT ? it->u > (uint64_t)hi : it->i < lo)
        return fail(d, WIRE_ERANGE, "integer out of range");
    *out = it->type == T_UINT ? (int64_t)it->u : it->i;
    return 0;
}

static int uint_in(dec *d, const item *it, uint64_t hi, uint64_t *out)
{
    if (it->type != T_UINT && it->type != T_INT) return fail(d, WIRE_ETYPE, "expected integer");
    if (it->type == T_INT || it->u > hi) return fail(d, WIRE_ERANGE, "integer out of range");
    *out = it->u;
    return 0;
}

static int dec_enum(dec *d, const wire_field *f, const item *it, int *out)
{
    int64_t v;
    if (it->type == T_STR) {
        if (wire__enum_value(f->en, (const char *)it->data, it->u, out) == 0) return 0;
        char shown[33];
        size_t n = it->u < 32 ? it->u : 32;
        for (size_t i = 0; i < n; i++)
            shown[i] = (it->data[i] >= 0x20 && it->data[i] < 0x7f) ? (char)it->data[i] : '?';
        shown[n] = '\0';
        return fail(d, WIRE_EENUM, "unknown %s value '%s'", f->en->name, shown);
    }
    int rc = int_in(d, it, INT32_MIN, INT32_MAX, &v);
    if (rc) return rc == WIRE_ETYPE ? fail(d, WIRE_ETYPE, "expected enum name") : rc;
    if (!wire__enum_valid(f->en, (int)v))
        return fail(d, WIRE_EENUM, "unknown %s value %lld", f->en->name, (long long)v);
    *out = (int)v;
    return 0;
}

static int dec_double(dec *d, const item *it, double *out)
{
    if (it->type == T_FLOAT)
        *out = it->f;
    else if (it->type == T_UINT)
        *out = (double)it->u;
    else if (it->type == T_INT)
        *out = (double)it->i;
    else
        return fail(d, WIRE_ETYPE, "expected number");
    return 0;
}

/* Converts one item (not a whole repeated field) into the field's value at p. */
static int dec_item(dec *d, const wire_field *f, const item *it, void *p)
{
    int64_t i = 0;
    uint64_t u = 0;
    int rc;
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING:
    case WIRE_K_BYTES: return dec_raw(d, f, it, p);
    case WIRE_K_BOOL:
        if (it->type != T_BOOL) return fail(d, WIRE_ETYPE, "expected bool");
        *(bool *)p = it->b;
        return 0;
    case WIRE_K_INT32:
        rc = int_in(d, it, INT32_MIN, INT32_MAX, &i);
        if (!rc) *(int32_t *)p = (int32_t)i;
        return rc;
    case WIRE_K_INT64:
        rc = int_in(d, it, INT64_MIN, INT64_MAX, &i);
        if (!rc) *(int64_t *)p = i;
        return rc;
    case WIRE_K_UINT32:
        rc = uint_in(d, it, UINT32_MAX, &u);
        if (!rc) *(uint32_t *)p = (uint32_t)u;
        return rc;
    case WIRE_K_UINT64:
        rc = uint_in(d, it, UINT64_MAX, &u);
        if (!rc) *(uint64_t *)p = u;
        return rc;
    case WIRE_K_DOUBLE: return dec_double(d, it, (double *)p);
    case WIRE_K_ENUM: return dec_enum(d, f, it, (int *)p);
    case WIRE_K_MSG:
        if (it->type != T_MAP) return fail(d, WIRE_ETYPE, "expected map");
        return dec_msg(d, f->sub, p, it);
    }
    return WIRE_EINVAL;
}

/* Reads and decodes one value into p. */
static int dec_value(dec *d, const wire_field *f, void *p)
{
    item it;
    int rc = read_item(d, &it);
    return rc ? rc : dec_item(d, f, &it, p);
}

/* ---- fields and messages ----------------------------------------------------------------- */

static int dec_repeated(dec *d, const wire_field *f, void *obj)
{
    item it;
    int rc = read_item(d, &it);
    if (rc) return rc;
    if (it.type != T_ARR) return fail(d, WIRE_ETYPE, "expected array");
    size_t n = (size_t)it.u, sz = wire__value_size(f);
    uint8_t *items = n ? arena(d, n * sz) : NULL;
    if (n && !items) return limit_exceeded(d);
    wire__frame *fr = &d->path[d->depth];
    fr->indexed = true;
    for (size_t k = 0; k < n; k++) {
        fr->index = k;
        if ((rc = dec_value(d, f, items + k * sz))) return rc;
    }
    fr->indexed = false;
    *(void **)wire__at(obj, f->offset) = items;
    *wire__count(obj, f) = n;
    return 0;
}

/* An optional enum with a name this version does not know reads as absent (proto2). */
static int dec_optional_enum(dec *d, const wire_field *f, void *obj)
{
    item it = {.type = T_NIL};
    int v, rc = read_item(d, &it);
    if (rc) return rc;
    if (it.type == T_STR && wire__enum_value(f->en, (const char *)it.data, it.u, &v) != 0) return 0;
    if ((rc = dec_item(d, f, &it, wire__at(obj, f->offset)))) return rc;
    *(bool *)wire__at(obj, f->aux_offset) = true;
    return 0;
}

static int dec_field(dec *d, const wire_field *f, void *obj)
{
    void *p = wire__at(obj, f->offset);
    if (f->label == WIRE_L_REP) return dec_repeated(d, f, obj);
    if (f->label == WIRE_L_REQ) return dec_value(d, f, p);
    if (f->kind == WIRE_K_ENUM) return dec_optional_enum(d, f, obj);
    if (f->kind == WIRE_K_MSG) {
        void *sub = arena(d, f->sub->size);
        if (!sub) return limit_exceeded(d);
        *(void **)p = sub;
        return dec_value(d, f, sub);
    }
    int rc = dec_value(d, f, p);
    if (rc == 0) *(bool *)wire__at(obj, f->aux_offset) = true;
    return rc;
}

static uint64_t load8(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t load4(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* True if the key name[0..len) is the field's name. Compared a word at a time, the last word
 * overlapping the one before it, so no byte outside either name is read. */
static bool name_is(const wire_field *f, const uint8_t *name, size_t len)
{
    const char *fn = f->name;
    if (f->name_len != len) return false;
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8)
            if (load8(fn + i) != load8(name + i)) return false;
        return load8(fn + len - 8) == load8(name + len - 8);
    }
    if (len >= 4) return load4(fn) == load4(name) && load4(fn + len - 4) == load4(name + len - 4);
    for (size_t i = 0; i < len; i++)
        if (fn[i] != (char)name[i]) return false;
    return true;
}

/* The index of the field the key names, or -1. Encoders write fields in schema order,
 * skipping the absent ones, so the search starts after the last field found and goes
 * forward, then wraps. */
static int find_field(const wire_desc *desc, const uint8_t *name, size_t len, uint16_t *next)
{
    uint16_t n = desc->nfields, i = *next < n ? *next : 0;
    for (uint16_t k = 0; k < n; k++) {
        if (name_is(&desc->fields[i], name, len)) {
            *next = (uint16_t)(i + 1);
            return i;
        }
        if (++i == n) i = 0;
    }
    return -1;
}

static int check_required(dec *d, const wire_desc *desc, uint64_t seen)
{
    if ((seen & desc->required) == desc->required) return 0;
    uint64_t missing = desc->required & ~seen;
    d->path[d->depth].f = &desc->fields[__builtin_ctzll(missing)];
    return fail(d, WIRE_EMISSING, "missing required field");
}

/* Reads a map key: a string, most often a fixstr. */
static int read_key(dec *d, const uint8_t **name, size_t *len)
{
    if (d->p < d->end && (*d->p & 0xe0) == 0xa0 && (size_t)(*d->p & 0x1f) < remaining(d)) {
        *len = *d->p & 0x1f;
        *name = d->p + 1;
        d->p += 1 + *len;
        return 0;
    }
    item key = {.type = T_NIL};
    int rc = read_item(d, &key);
    if (rc) return rc;
    if (key.type != T_STR) return fail(d, WIRE_ETYPE, "expected a string key");
    *name = key.data;
    *len = key.u;
    return 0;
}

/* Reads the n key/value pairs of a map whose header `hdr` was read. */
static int dec_fields(dec *d, const wire_desc *desc, void *obj, uint64_t n)
{
    wire__frame *fr = &d->path[d->depth];
    const wire_pick *pick = d->pick;
    uint64_t seen = 0;
    uint16_t next = 0;
    for (uint64_t k = 0; k < n; k++) {
        const uint8_t *name = NULL;
        size_t len = 0;
        int rc = read_key(d, &name, &len);
        if (rc) return rc;
        int ix = find_field(desc, name, len, &next);
        if (ix < 0) {
            if ((rc = skip_value(d))) return rc;
            continue;
        }
        const wire_field *f = &desc->fields[ix];
        fr->f = f; /* the frame's index is clear: dec_repeated clears it when it succeeds */
        if (remaining(d) && *d->p == 0xc0) { /* nil: absent */
            d->p++;
            continue;
        }
        uint64_t bit = (uint64_t)1 << ix;
        if (seen & bit) return fail(d, WIRE_EDUPLICATE, "duplicate field");
        seen |= bit;
        if (pick) {
            if (!(pick->keep & bit)) {
                if ((rc = skip_value(d))) return rc;
                fr->f = NULL;
                continue;
            }
            d->pick = pick->sub[ix];
        }
        if ((rc = dec_field(d, f, obj))) return rc;
        d->pick = pick;
        fr->f = NULL;
    }
    return check_required(d, desc, seen);
}

static int dec_msg(dec *d, const wire_desc *desc, void *obj, const item *hdr)
{
    if (d->depth + 1 > WIRE_MAX_DEPTH)
        return fail(d, WIRE_EDEPTH, "nested deeper than %d", WIRE_MAX_DEPTH);
    d->depth++;
    d->path[d->depth] = (wire__frame){0};
    wire__init_blank(desc, obj);
    int rc = dec_fields(d, desc, obj, hdr->u);
    d->depth--;
    return rc;
}

int wire__mp_decode(const wire_desc *desc, const wire_pick *pick, const void *data, size_t len,
                    wire_msg **out, char *err, size_t errlen)
{
    *out = NULL;
    wire_msg *m = wire__decode_begin(desc, len, err, errlen);
    if (!m) return WIRE_ELIMIT;
    const uint8_t *bytes = data ? data : (const uint8_t *)"";
    wire__frame path[WIRE_MAX_DEPTH + 1]; /* not zeroed: see dec.path */
    dec d = {.p = bytes,
             .end = bytes + len,
             .m = m,
             .root = desc,
             .pick = pick,
             .depth = -1,
             .path = path,
             .err = err,
             .errlen = errlen};
    item it;
    int rc = read_item(&d, &it);
    if (rc == 0 && it.type != T_MAP) rc = fail(&d, WIRE_ETYPE, "expected map");
    if (rc == 0) rc = dec_msg(&d, desc, m->root, &it);
    if (rc == 0 && d.p != d.end) rc = fail(&d, WIRE_ETRAILING, "%zu trailing bytes", remaining(&d));
    return wire__decode_end(m, rc, out);
}

int wire_decode(const wire_desc *desc, const void *data, size_t len, wire_msg **out, char *err,
                size_t errlen)
{
    return wire__mp_decode(desc, NULL, data, len, out, err, errlen);
}

int wire_decode_by_name(const char *name, const void *data, size_t len, wire_msg **out, char *err,
                        size_t errlen)
{
    const wire_desc *desc = wire_type_by_name(name);
    if (!desc) {
        *out = NULL;
        return wire__fail(err, errlen, WIRE_ENOTFOUND, "unknown message type '%s'", name);
    }
    return wire_decode(desc, data, len, out, err, errlen);
}
