/*
 * json.c - any message as JSON, the way Mesos' JSON::Protobuf renders it: present fields only,
 * keys in sorted order (stout's objects are std::maps), enums as names, repeated fields as
 * arrays. It streams into act_json, so rendering a large state document builds no tree.
 */
#include "wire/wire_int.h"

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
        if (len == 0 || i + len > n) return false;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

/* A string of raw bytes: bytes >= 0x80 become \u00XX, as stout writes every non-ASCII byte. */
static void json_bytes(act_json *j, const uint8_t *s, size_t n)
{
    act_buf tmp = {0};
    act_buf_putc(&tmp, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            run++;
            continue;
        }
        act_json_escape(&tmp, (const char *)s + i - run, run, j->escape_slash);
        run = 0;
        act_buf_printf(&tmp, "\\u00%02X", s[i]);
    }
    act_json_escape(&tmp, (const char *)s + n - run, run, j->escape_slash);
    act_buf_putc(&tmp, '"');
    act_json_raw(j, tmp.data, tmp.len);
    act_buf_free(&tmp);
}

/* Text: valid UTF-8 is written as is (escaped); anything else byte by byte like bytes. */
static void json_text(act_json *j, const char *s, size_t n)
{
    if (utf8_valid((const uint8_t *)s, n))
        act_json_string_n(j, s, n);
    else
        json_bytes(j, (const uint8_t *)s, n);
}

static void json_value(act_json *j, const wire_field *f, const void *p)
{
    switch ((wire_field_kind)f->kind) {
    case WIRE_K_STRING: {
        const char *s = wire__str(p);
        json_text(j, s, strlen(s));
        break;
    }
    case WIRE_K_BYTES:
        json_bytes(j, ((const wire_bytes *)p)->data, ((const wire_bytes *)p)->len);
        break;
    case WIRE_K_BOOL: act_json_bool(j, *(const bool *)p); break;
    case WIRE_K_INT32: act_json_int(j, *(const int32_t *)p); break;
    case WIRE_K_INT64: act_json_int(j, *(const int64_t *)p); break;
    case WIRE_K_UINT32: act_json_uint(j, *(const uint32_t *)p); break;
    case WIRE_K_UINT64: act_json_uint(j, *(const uint64_t *)p); break;
    case WIRE_K_DOUBLE: act_json_double(j, *(const double *)p); break;
    case WIRE_K_ENUM: {
        const char *name = wire__enum_name(f->en, *(const int *)p);
        if (name)
            act_json_string(j, name);
        else
            act_json_int(j, *(const int *)p);
        break;
    }
    case WIRE_K_MSG: wire_json(j, f->sub, p); break;
    }
}

static void json_field(act_json *j, const wire_field *f, const void *obj)
{
    const void *p = wire__at(obj, f->offset);
    act_json_key(j, f->name);
    if (f->label == WIRE_L_OPT && f->kind == WIRE_K_MSG) {
        json_value(j, f, *(void *const *)p);
    } else if (f->label == WIRE_L_REP) {
        size_t n = *wire__count(obj, f), sz = wire__value_size(f);
        const uint8_t *items = *(void *const *)p;
        act_json_array_begin(j);
        for (size_t i = 0; i < n; i++) json_value(j, f, items + i * sz);
        act_json_array_end(j);
    } else {
        json_value(j, f, p);
    }
}

void wire_json(act_json *j, const wire_desc *desc, const void *obj)
{
    const uint8_t *order = wire__sorted_fields(desc);
    act_json_object_begin(j);
    for (uint16_t i = 0; i < desc->nfields; i++) {
        const wire_field *f = &desc->fields[order[i]];
        if (wire__present(obj, f)) json_field(j, f, obj);
    }
    act_json_object_end(j);
}

char *wire_to_json(const wire_desc *desc, const void *obj)
{
    act_buf b = {0};
    act_json j;
    act_json_init(&j, &b);
    wire_json(&j, desc, obj);
    return act_buf_detach(&b, NULL);
}
