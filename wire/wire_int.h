/*
 * wire_int.h - what the files of wire/ share and nobody else sees: the layout of message and
 * enum descriptors (generated from schema.def by schema.c), field accessors, the arena, and
 * the helpers the codec, copy, equality and JSON walkers have in common.
 */
#ifndef WIRE_WIRE_INT_H
#define WIRE_WIRE_INT_H

#include "wire/wire.h"

#include <stdarg.h>
#include <string.h>

typedef enum wire_field_kind {
    WIRE_K_STRING,
    WIRE_K_BYTES,
    WIRE_K_BOOL,
    WIRE_K_INT32,
    WIRE_K_INT64,
    WIRE_K_UINT32,
    WIRE_K_UINT64,
    WIRE_K_DOUBLE,
    WIRE_K_ENUM,
    WIRE_K_MSG,
} wire_field_kind;

typedef enum wire_field_label {
    WIRE_L_REQ,
    WIRE_L_OPT,
    WIRE_L_REP,
} wire_field_label;

typedef union wire_default {
    const char *s;
    double d;
    int64_t i;
    uint64_t u;
    bool b;
    int enumv;
} wire_default;

/* One field of a message. Offsets are into the generated struct. */
typedef struct wire_field {
    const char *name;
    uint8_t name_len;
    uint8_t kind;             /* wire_field_kind */
    uint8_t label;            /* wire_field_label */
    uint32_t number;          /* its number in the .proto: the protobuf tag */
    uint32_t offset;          /* the value (or the array pointer, or the message pointer) */
    uint32_t aux_offset;      /* OPT non-message: the has_ flag; REP: the count */
    const wire_desc *sub;     /* WIRE_K_MSG */
    const wire_enum_desc *en; /* WIRE_K_ENUM */
    wire_default def;         /* OPT non-message */
} wire_field;

/* Messages have at most this many fields (the decoder tracks them in a 64-bit mask). */
#define WIRE_MAX_FIELDS 64

struct wire_desc {
    const char *name; /* "mesos.internal.StatusUpdateMessage" */
    size_t size;
    const wire_field *fields;
    uint16_t nfields;
    uint16_t index;    /* position in wire_type_at() */
    uint64_t required; /* bit k set: fields[k] is required */
    void *blank;       /* size bytes: the type as wire__init(.., false) leaves it (message.c) */
};

typedef struct wire_enum_value {
    const char *name;
    int number;
    uint8_t len; /* strlen(name) */
} wire_enum_value;

struct wire_enum_desc {
    const char *name;
    const wire_enum_value *values;
    size_t count;
};

/* ---- field access ------------------------------------------------------------------------ */

static inline void *wire__at(const void *obj, uint32_t offset)
{
    return (char *)obj + offset;
}

static inline bool wire__has(const void *obj, const wire_field *f)
{
    return *(const bool *)wire__at(obj, f->aux_offset);
}

static inline size_t *wire__count(const void *obj, const wire_field *f)
{
    return (size_t *)wire__at(obj, f->aux_offset);
}

/* True if the field would be encoded / rendered: required, optional and set, repeated and
 * non-empty. */
static inline bool wire__present(const void *obj, const wire_field *f)
{
    if (f->label == WIRE_L_REQ) return true;
    if (f->label == WIRE_L_REP) return *wire__count(obj, f) > 0;
    if (f->kind == WIRE_K_MSG) return *(void *const *)wire__at(obj, f->offset) != NULL;
    return wire__has(obj, f);
}
/* The size of one value of the field (an array element for repeated fields). */
size_t wire__value_size(const wire_field *f);
/* A string field's value with NULL read as "". */
static inline const char *wire__str(const void *p)
{
    const char *s = *(char *const *)p;
    return s ? s : "";
}

/* wire_init; with deep false, required sub-messages are only zeroed (the decoder fills them,
 * or fails when one is missing). */
void wire__init(const wire_desc *desc, void *obj, bool deep);
/* Builds every type's blank, once (wire__decode_begin calls it). */
void wire__blanks_ready(void);
/* wire__init(desc, obj, false) without the check that the blanks are built: for the decoders,
 * which run after wire__decode_begin. */
static inline void wire__init_blank(const wire_desc *desc, void *obj)
{
    memcpy(obj, desc->blank, desc->size);
}
/* "Offer.Operation" for "mesos.Offer.Operation": the name without its package. */
const char *wire__short_name(const wire_desc *d);
/* Field indices of d sorted by name (the order stout's JSON objects use). */
const uint8_t *wire__sorted_fields(const wire_desc *d);
/* The field named name[0..len), or NULL. */
const wire_field *wire__field_by_name(const wire_desc *d, const char *name, size_t len);
/* The canonical lower-case text of 16 UUID bytes, without a NUL (ids.c). */
void wire__uuid_text(const uint8_t bytes[16], char out[WIRE_UUID_STRLEN - 1]);

/* The entry of enum value v, or NULL if the enum has none. */
const wire_enum_value *wire__enum_find(const wire_enum_desc *e, int v);
/* The name of enum value v, or NULL if the enum has none. */
const char *wire__enum_name(const wire_enum_desc *e, int v);
/* The value named name[0..len). Returns 0 or WIRE_EENUM. */
int wire__enum_value(const wire_enum_desc *e, const char *name, size_t len, int *out);
bool wire__enum_valid(const wire_enum_desc *e, int v);

/* ---- arena ------------------------------------------------------------------------------- */

/* A new message whose arena starts with `first` bytes of room after the root and may grow to
 * `limit` bytes in all (0 = no limit). The root is zeroed, not initialised. NULL only when
 * limit is too small for the root. */
wire_msg *wire__msg_new(const wire_desc *d, size_t first, size_t limit);
/* n zeroed bytes (8-aligned) from the arena; NULL only when the arena's limit is reached. */
void *wire__arena_alloc(wire_msg *m, size_t n);
/* The same, not zeroed: for a decoder that writes every byte it takes (or fails, and frees the
 * whole message). */
void *wire__arena_take(wire_msg *m, size_t n);

/* ---- errors ------------------------------------------------------------------------------ */

/* snprintf into err (if not NULL) and return code. */
int wire__fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Where a decoder is: the field being read at each nesting level (and the element, for a
 * repeated field), so an error can name its path. */
typedef struct wire__frame {
    const wire_field *f;
    size_t index;
    bool indexed;
} wire__frame;

/* Writes "Root.field[i].field: <reason>" into err (if not NULL) from path[0..depth], stopping
 * at the first frame without a field, and returns code: how both decoders report errors. */
int wire__path_fail(char *err, size_t errlen, const wire_desc *root, const wire__frame *path,
                    int depth, int code, const char *fmt, va_list ap);

/* ---- picks (pick.c) ---------------------------------------------------------------------- */

/* What wire_pick_new compiles: per message, the fields decoded, and for each kept message
 * field either NULL (all of it) or the pick of its own fields. The decoders walk it beside the
 * descriptors; a NULL pick everywhere means the whole message. */
struct wire_pick {
    const wire_desc *desc;
    uint64_t keep;                        /* bit k set: fields[k] is decoded */
    struct wire_pick *sub[WIRE_MAX_FIELDS]; /* kept message fields: NULL = whole */
};

/* The decoders behind wire_decode and wire_pb_decode, with a pick (NULL: every field). */
int wire__mp_decode(const wire_desc *desc, const wire_pick *pick, const void *data, size_t len,
                    wire_msg **out, char *err, size_t errlen);
int wire__pb_decode(const wire_desc *desc, const wire_pick *pick, const void *data, size_t len,
                    wire_msg **out, char *err, size_t errlen);

/* ---- decoding and encoding --------------------------------------------------------------- */

/* A new message to decode `len` bytes into, its arena capped at WIRE_EXPANSION times len (plus
 * WIRE_ARENA_SLACK), with every type's blank built (wire__init_blank may follow). NULL (with
 * the reason in err) when len is too large to cap. */
wire_msg *wire__decode_begin(const wire_desc *desc, size_t len, char *err, size_t errlen);
/* Ends a decode: on success (rc 0) lifts the cap and sets *out; otherwise frees m. Returns rc. */
int wire__decode_end(wire_msg *m, int rc, wire_msg **out);

/* Makes room for n more bytes at the end of b and returns where they go; the caller advances
 * b->len. */
static inline uint8_t *wire__buf_room(act_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) act_buf_reserve(b, n);
    return (uint8_t *)b->data + b->len;
}
/* memcpy for the short strings most keys and values are (under 32 bytes), without a call: a
 * word at a time, the last word overlapping the one before it. */
static inline void wire__copy_short(uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t w;
    uint32_t h;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, src + i, 8);
            memcpy(dst + i, &w, 8);
        }
        memcpy(&w, src + n - 8, 8);
        memcpy(dst + n - 8, &w, 8);
    } else if (n >= 4) {
        memcpy(&h, src, 4);
        memcpy(dst, &h, 4);
        memcpy(&h, src + n - 4, 4);
        memcpy(dst + n - 4, &h, 4);
    } else {
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
    }
}
/* Ends an encode into out that started at length `start`: on error drops what was written.
 * Keeps out NUL-terminated. Returns rc. */
int wire__encode_end(act_buf *out, size_t start, int rc);

/* ---- values ------------------------------------------------------------------------------ */

/* Appends a double the way Mesos' ostream prints it here: "%.15g"-style shortest text that
 * reads back as the same double ("8", "0.5", "1e+20"). */
void wire__format_double(act_buf *out, double v);
/* Appends thousandths as an exact decimal: 8000 -> "8", 100 -> "0.1", -1500 -> "-1.5". */
void wire__format_milli(act_buf *out, int64_t milli);
/* Rounds a double to thousandths. Returns 0 or WIRE_ERANGE (not finite or too large). */
int wire__to_milli(double v, int64_t *out);

/* Parses a Mesos value text (spaces removed first): "[1-2, 5-9]" ranges, "{a,b}" a set, a
 * number a scalar, anything else text. The parts are allocated in m's arena. Returns 0 or
 * WIRE_EPARSE with a reason. */
int wire__value_parse(const char *text, size_t len, wire_msg *m, wire_value *out, char *err,
                      size_t errlen);

/* jansson-side parse into a struct, for res_parse_json (json_parse.c). `json` is a json_t *. */
int wire__from_jansson(const wire_desc *desc, const void *json, wire_msg *m, void *obj, char *err,
                       size_t errlen);

/* ---- resources (resources.c) ------------------------------------------------------------- */

/* The entry (name, role, type) of s, or NULL. */
res_entry *wire__res_lookup(const res_set *s, const char *name, const char *role,
                            wire_value_type type);
/* Appends a new empty entry (the key must not be present). The pointer is valid until s next
 * changes size. */
res_entry *wire__res_append(res_set *s, const char *name, const char *role, wire_value_type type);
/* The hash every res_entry carries in its `hash` field. */
uint32_t wire__res_hash(const char *name, const char *role, wire_value_type type);
/* s += one entry (whose hash must be set). Returns 0 or WIRE_ERANGE (s unchanged) on scalar
 * overflow. */
int wire__res_add_entry(res_set *s, const res_entry *e);
/* Appends an entry's value as Mesos prints it: "8", "0.5", "[1-10, 20-30]", "{a, b}". */
void wire__res_format_value(const res_entry *e, act_buf *out);

#endif /* WIRE_WIRE_INT_H */
