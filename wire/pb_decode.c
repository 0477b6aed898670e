/*
 * pb_decode.c - reads protobuf (proto2, as libprocess peers send it) into any message, trusting
 * nothing, as decode.c does for msgpack. Each message is read in two passes over its bytes: the
 * first checks every tag and length against what remains and counts the elements of each
 * repeated field, so every array is allocated once at its final size; the second converts the
 * values. What protobuf's own parsers accept is accepted: unknown fields (and known numbers
 * with another wire type) are skipped, groups included; repeated numbers may come packed or
 * not; a scalar given twice keeps the last value; a message given twice is the merge of both,
 * read as the concatenation of their bytes (which is how protobuf defines merging); required
 * fields are checked once the message is complete. Nesting is bounded, and the arena refuses
 * to grow past WIRE_EXPANSION times the input. Errors name the path of the bad field. With a
 * pick (wire_decode_picked) the fields it leaves out are skipped like unknown ones but count
 * as present.
 */
#include "wire/wire_int.h"

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_START = 3, WT_END = 4, WT_FIXED32 = 5 };

/* Field numbers fit in 29 bits; a tag is at most a 32-bit varint. */
#define MAX_TAG UINT32_MAX

/* A span of input still to read. */
typedef struct span {
    const uint8_t *p, *end;
} span;

typedef struct pdec {
    wire_msg *m;
    const wire_desc *root;
    const wire_pick *pick; /* of the message being read; NULL: all of it */
    int depth;
    wire__frame *path; /* WIRE_MAX_DEPTH + 1 frames, each cleared as its level is entered */
    char *err;
    size_t errlen;
} pdec;

static int fail(pdec *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pdec *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wire__path_fail(d->err, d->errlen, d->root, d->path, d->depth, code, fmt, ap);
    va_end(ap);
    return code;
}

static size_t left(const span *s)
{
    return (size_t)(s->end - s->p);
}

/* n zeroed bytes from the message's arena, or NULL (after writing the reason) at its cap. */
static void *arena(pdec *d, size_t n)
{
    void *p = wire__arena_alloc(d->m, n);
    if (!p) fail(d, WIRE_ELIMIT, "message expands beyond %dx its size", WIRE_EXPANSION);
    return p;
}

/* ---- the wire format --------------------------------------------------------------------- */

static int read_varint(pdec *d, span *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (s->p == s->end) return fail(d, WIRE_ETRUNCATED, "truncated varint");
        uint8_t byte = *s->p++;
        if (shift < 64) v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return fail(d, WIRE_EPARSE, "varint longer than 10 bytes");
}

static int read_tag(pdec *d, span *s, uint32_t *number, int *wire_type)
{
    uint64_t t;
    int rc = read_varint(d, s, &t);
    if (rc) return rc;
    if (t > MAX_TAG || (t >> 3) == 0) return fail(d, WIRE_EPARSE, "invalid tag %llu",
                                                  (unsigned long long)t);
    *number = (uint32_t)(t >> 3);
    *wire_type = (int)(t & 7);
    return 0;
}

/* Takes n bytes (a fixed-width value or a payload) after checking they are there. */
static int take(pdec *d, span *s, uint64_t n, span *out)
{
    if (n > left(s))
        return fail(d, WIRE_ETRUNCATED, "length %llu exceeds the %zu bytes left",
                    (unsigned long long)n, left(s));
    if (out) *out = (span){s->p, s->p + n};
    s->p += n;
    return 0;
}

/* A length-delimited payload. */
static int read_payload(pdec *d, span *s, span *out)
{
    uint64_t n;
    int rc = read_varint(d, s, &n);
    return rc ? rc : take(d, s, n, out);
}

/* Skips the value of a field whose tag was just read. A group (deprecated, but valid input) is
 * skipped to its matching end without recursion; open groups count toward the nesting limit. */
static int skip_value(pdec *d, span *s, uint32_t number, int wire_type)
{
    uint32_t open[WIRE_MAX_DEPTH];
    int nopen = 0, room = WIRE_MAX_DEPTH - d->depth - 1, rc = 0;
    uint64_t v;
    for (;;) {
        switch (wire_type) {
        case WT_VARINT: rc = read_varint(d, s, &v); break;
        case WT_FIXED64: rc = take(d, s, 8, NULL); break;
        case WT_FIXED32: rc = take(d, s, 4, NULL); break;
        case WT_LEN: rc = read_payload(d, s, NULL); break;
        case WT_START:
            if (nopen >= room) return fail(d, WIRE_EDEPTH, "nested deeper than %d", WIRE_MAX_DEPTH);
            open[nopen++] = number;
            break;
        case WT_END:
            if (nopen == 0 || open[nopen - 1] != number)
                return fail(d, WIRE_EPARSE, "end of group %u that was not open", number);
            nopen--;
            break;
        default: return fail(d, WIRE_EPARSE, "invalid wire type %d", wire_type);
        }
        if (rc || nopen == 0) return rc;
        if ((rc = read_tag(d, s, &number, &wire_type))) return rc;
    }
}

/* ---- fields ------------------------------------------------------------------------------ */

/* The wire type protobuf writes a value of f with. */
static int wire_type_of(const wire_field *f)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING:
    case WIRE_K_BYTES:
    case WIRE_K_MSG: return WT_LEN;
    case WIRE_K_DOUBLE: return WT_FIXED64;
    default: return WT_VARINT;
    }
}

/* True if a value with this wire type is a value of f, or (packed) a run of them. */
static bool is_packed(const wire_field *f, int wire_type)
{
    return wire_type == WT_LEN && f->label == WIRE_L_REP && wire_type_of(f) != WT_LEN;
}

/* The field numbered `number`. Fields are in number order and usually arrive in it, so the
 * field read last and the one after it are tried first. */
static const wire_field *field_by_number(const wire_desc *desc, uint32_t number, uint16_t *hint)
{
    uint16_t lo = 0, hi = desc->nfields;
    if (*hint > 0 && desc->fields[*hint - 1].number == number) return &desc->fields[*hint - 1];
    if (*hint < hi && desc->fields[*hint].number == number) return &desc->fields[(*hint)++];
    while (lo < hi) {
        uint16_t mid = (uint16_t)(lo + (hi - lo) / 2);
        if (desc->fields[mid].number == number) {
            *hint = (uint16_t)(mid + 1);
            return &desc->fields[mid];
        }
        if (desc->fields[mid].number < number)
            lo = (uint16_t)(mid + 1);
        else
            hi = mid;
    }
    return NULL;
}

/* How many values a packed payload holds (a varint ends at each byte below 0x80). */
static int count_packed(pdec *d, const wire_field *f, span payload, size_t *n)
{
    size_t len = left(&payload);
    if (wire_type_of(f) == WT_FIXED64) {
        if (len % 8) return fail(d, WIRE_ETRUNCATED, "packed doubles in %zu bytes", len);
        *n = len / 8;
        return 0;
    }
    if (len && (payload.end[-1] & 0x80)) return fail(d, WIRE_ETRUNCATED, "truncated varint");
    size_t k = 0;
    for (const uint8_t *p = payload.p; p < payload.end; p++) k += !(*p & 0x80);
    *n = k;
    return 0;
}

/* Pass one: checks the framing of every field of a message and counts, per field, the values
 * of repeated fields and the occurrences of the others. */
static int count_fields(pdec *d, const wire_desc *desc, span s, size_t *counts)
{
    uint16_t hint = 0;
    while (s.p < s.end) {
        uint32_t number;
        int wire_type, rc;
        if ((rc = read_tag(d, &s, &number, &wire_type))) return rc;
        const wire_field *f = field_by_number(desc, number, &hint);
        d->path[d->depth] = (wire__frame){.f = f};
        if (f && is_packed(f, wire_type)) {
            span payload;
            size_t n = 0;
            if ((rc = read_payload(d, &s, &payload)) || (rc = count_packed(d, f, payload, &n)))
                return rc;
            counts[f - desc->fields] += n;
        } else {
            if ((rc = skip_value(d, &s, number, wire_type))) return rc;
            if (f && wire_type == wire_type_of(f)) counts[f - desc->fields]++;
        }
        d->path[d->depth] = (wire__frame){0};
    }
    return 0;
}

/* Gives each repeated field the pick keeps an array for all of its values; its count grows as
 * they are read. */
static int alloc_arrays(pdec *d, const wire_desc *desc, void *obj, const size_t *counts,
                        uint64_t keep)
{
    for (uint16_t k = 0; k < desc->nfields; k++) {
        const wire_field *f = &desc->fields[k];
        if (f->label != WIRE_L_REP || counts[k] == 0 || !(keep & ((uint64_t)1 << k))) continue;
        size_t sz = wire__value_size(f);
        void *items = arena(d, counts[k] * sz); /* counts[k] <= the input's length */
        if (!items) return WIRE_ELIMIT;
        *(void **)wire__at(obj, f->offset) = items;
    }
    return 0;
}

/* ---- values ------------------------------------------------------------------------------ */

static int dec_msg(pdec *d, const wire_desc *desc, void *obj, span s);

static int dec_raw(pdec *d, const wire_field *f, span payload, void *p)
{
    size_t n = left(&payload);
    if (f->kind == WIRE_K_STRING && memchr(payload.p, 0, n))
        return fail(d, WIRE_EINVAL, "string contains a NUL byte");
    uint8_t *copy = arena(d, n + 1);
    if (!copy) return WIRE_ELIMIT;
    if (n) memcpy(copy, payload.p, n);
    if (f->kind == WIRE_K_STRING) {
        *(char **)p = (char *)copy;
    } else {
        ((wire_bytes *)p)->data = copy;
        ((wire_bytes *)p)->len = n;
    }
    return 0;
}

static double le_double(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--) bits = (bits << 8) | p[i];
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Stores a varint as f's type, with protobuf's conversions (int32 and uint32 keep the low 32
 * bits, bool is nonzero). Returns 1 for an enum value the enum lacks (nothing stored). */
static int store_varint(const wire_field *f, uint64_t v, void *p)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_BOOL: *(bool *)p = v != 0; return 0;
    case WIRE_K_INT32: *(int32_t *)p = (int32_t)(uint32_t)v; return 0;
    case WIRE_K_INT64: *(int64_t *)p = (int64_t)v; return 0;
    case WIRE_K_UINT32: *(uint32_t *)p = (uint32_t)v; return 0;
    case WIRE_K_UINT64: *(uint64_t *)p = v; return 0;
    case WIRE_K_ENUM:
        if (!wire__enum_valid(f->en, (int32_t)(uint32_t)v)) return 1;
        *(int *)p = (int32_t)(uint32_t)v;
        return 0;
    default: return 0;
    }
}

/* Reads one value of f (not packed) into p. Returns 0, 1 for an unknown enum value, or an
 * error. */
static int dec_value(pdec *d, const wire_field *f, span *s, void *p)
{
    span payload = {NULL, NULL};
    uint64_t v;
    int rc;
    switch (wire_type_of(f)) {
    case WT_FIXED64:
        if ((rc = take(d, s, 8, &payload))) return rc;
        *(double *)p = le_double(payload.p);
        return 0;
    case WT_LEN:
        if ((rc = read_payload(d, s, &payload))) return rc;
        return f->kind == WIRE_K_MSG ? dec_msg(d, f->sub, p, payload) : dec_raw(d, f, payload, p);
    default:
        if ((rc = read_varint(d, s, &v))) return rc;
        return store_varint(f, v, p);
    }
}

/* Appends one value to repeated field f (its array has room: pass one counted it). */
static int dec_element(pdec *d, const wire_field *f, void *obj, span *s)
{
    size_t *count = wire__count(obj, f), sz = wire__value_size(f);
    uint8_t *slot = *(uint8_t **)wire__at(obj, f->offset) + *count * sz;
    d->path[d->depth] = (wire__frame){.f = f, .index = *count, .indexed = true};
    int rc = dec_value(d, f, s, slot);
    if (rc < 0) return rc;
    if (rc == 0) (*count)++; /* an unknown enum value is dropped, as protobuf does */
    return 0;
}

static int dec_packed(pdec *d, const wire_field *f, void *obj, span *s)
{
    span payload = {NULL, NULL};
    int rc = read_payload(d, s, &payload);
    while (rc == 0 && payload.p < payload.end) rc = dec_element(d, f, obj, &payload);
    return rc;
}

/* The payload of the next occurrence of message field f in *s. Returns 1 (and *payload), 0 at
 * the end, or an error. */
static int next_occurrence(pdec *d, const wire_field *f, span *s, span *payload)
{
    uint32_t number;
    int wire_type, rc;
    while (s->p < s->end) {
        if ((rc = read_tag(d, s, &number, &wire_type))) return rc;
        if (number == f->number && wire_type == WT_LEN)
            return (rc = read_payload(d, s, payload)) ? rc : 1;
        if ((rc = skip_value(d, s, number, wire_type))) return rc;
    }
    return 0;
}

/* The bytes of every occurrence of message field f, the first (read already, its payload
 * `first`) and those in s after it, concatenated in the arena: what protobuf merges them
 * into. */
static int gather(pdec *d, const wire_field *f, span first, span s, span *out)
{
    size_t total = left(&first);
    span scan = s, payload;
    int rc;
    while ((rc = next_occurrence(d, f, &scan, &payload)) == 1) total += left(&payload);
    if (rc < 0) return rc;
    uint8_t *buf = arena(d, total);
    if (!buf) return WIRE_ELIMIT;
    memcpy(buf, first.p, left(&first));
    size_t at = left(&first);
    while (next_occurrence(d, f, &s, &payload) == 1) { /* the scan above checked the framing */
        memcpy(buf + at, payload.p, left(&payload));
        at += left(&payload);
    }
    *out = (span){buf, buf + total};
    return 0;
}

/* A message-valued field that is not repeated: decoded once, from all its occurrences. */
static int dec_single_msg(pdec *d, const wire_field *f, void *obj, span *s, size_t occurrences)
{
    span payload = {NULL, NULL};
    int rc = read_payload(d, s, &payload);
    if (rc == 0 && occurrences > 1) rc = gather(d, f, payload, *s, &payload);
    if (rc) return rc;
    void *p = wire__at(obj, f->offset);
    if (f->label == WIRE_L_OPT) {
        void *sub = arena(d, f->sub->size);
        if (!sub) return WIRE_ELIMIT;
        *(void **)p = sub;
        p = sub;
    }
    return dec_msg(d, f->sub, p, payload);
}

/* A scalar that is not repeated: the last occurrence wins. */
static int dec_single(pdec *d, const wire_field *f, void *obj, span *s)
{
    int rc = dec_value(d, f, s, wire__at(obj, f->offset));
    if (rc == 1 && f->label == WIRE_L_REQ)
        return fail(d, WIRE_EENUM, "unknown %s value", f->en->name);
    if (rc == 0 && f->label == WIRE_L_OPT) *(bool *)wire__at(obj, f->aux_offset) = true;
    return rc < 0 ? rc : 0; /* an unknown value of an optional enum reads as absent */
}

/* Pass two: reads every value of the fields the pick keeps (all without one) and skips the
 * others. `seen` collects the fields that got a value, or would have. */
static int fill_fields(pdec *d, const wire_desc *desc, void *obj, span s, const size_t *counts,
                       uint64_t *seen)
{
    const wire_pick *pick = d->pick;
    uint16_t hint = 0;
    while (s.p < s.end) {
        uint32_t number;
        int wire_type, rc;
        if ((rc = read_tag(d, &s, &number, &wire_type))) return rc;
        const wire_field *f = field_by_number(desc, number, &hint);
        bool packed = f && is_packed(f, wire_type);
        if (!f || (!packed && wire_type != wire_type_of(f))) {
            if ((rc = skip_value(d, &s, number, wire_type))) return rc;
            continue;
        }
        size_t k = (size_t)(f - desc->fields);
        uint64_t bit = (uint64_t)1 << k;
        d->path[d->depth] = (wire__frame){.f = f};
        if (pick && !(pick->keep & bit)) {
            if ((rc = skip_value(d, &s, number, wire_type))) return rc;
            *seen |= bit;
            d->path[d->depth] = (wire__frame){0};
            continue;
        }
        if (pick) d->pick = pick->sub[k];
        if (packed)
            rc = dec_packed(d, f, obj, &s);
        else if (f->label == WIRE_L_REP)
            rc = dec_element(d, f, obj, &s);
        else if (f->kind != WIRE_K_MSG)
            rc = dec_single(d, f, obj, &s);
        else if (*seen & bit) /* merged into the first occurrence already */
            rc = skip_value(d, &s, number, wire_type);
        else
            rc = dec_single_msg(d, f, obj, &s, counts[k]);
        if (rc) return rc;
        d->pick = pick;
        *seen |= bit;
        d->path[d->depth] = (wire__frame){0};
    }
    return 0;
}

static int check_required(pdec *d, const wire_desc *desc, uint64_t seen)
{
    for (uint16_t k = 0; k < desc->nfields; k++) {
        const wire_field *f = &desc->fields[k];
        if (f->label != WIRE_L_REQ || (seen & ((uint64_t)1 << k))) continue;
        d->path[d->depth] = (wire__frame){.f = f};
        return fail(d, WIRE_EMISSING, "missing required field");
    }
    return 0;
}

static int dec_msg(pdec *d, const wire_desc *desc, void *obj, span s)
{
    if (d->depth + 1 > WIRE_MAX_DEPTH)
        return fail(d, WIRE_EDEPTH, "nested deeper than %d", WIRE_MAX_DEPTH);
    d->depth++;
    d->path[d->depth] = (wire__frame){0};
    wire__init_blank(desc, obj);
    size_t counts[WIRE_MAX_FIELDS];
    memset(counts, 0, desc->nfields * sizeof counts[0]);
    uint64_t seen = 0;
    int rc = count_fields(d, desc, s, counts);
    if (rc == 0) rc = alloc_arrays(d, desc, obj, counts, d->pick ? d->pick->keep : UINT64_MAX);
    if (rc == 0) rc = fill_fields(d, desc, obj, s, counts, &seen);
    if (rc == 0) rc = check_required(d, desc, seen);
    d->depth--;
    return rc;
}

int wire__pb_decode(const wire_desc *desc, const wire_pick *pick, const void *data, size_t len,
                    wire_msg **out, char *err, size_t errlen)
{
    *out = NULL;
    wire_msg *m = wire__decode_begin(desc, len, err, errlen);
    if (!m) return WIRE_ELIMIT;
    const uint8_t *bytes = data ? data : (const uint8_t *)"";
    wire__frame path[WIRE_MAX_DEPTH + 1]; /* not zeroed: see pdec.path */
    pdec d = {.m = m, .root = desc, .pick = pick, .depth = -1, .path = path, .err = err,
              .errlen = errlen};
    return wire__decode_end(m, dec_msg(&d, desc, m->root, (span){bytes, bytes + len}), out);
}

int wire_pb_decode(const wire_desc *desc, const void *data, size_t len, wire_msg **out,
                   char *err, size_t errlen)
{
    return wire__pb_decode(desc, NULL, data, len, out, err, errlen);
}
