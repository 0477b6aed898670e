/*
 * json.c - a streaming JSON writer into an act_buf. The writer tracks commas per nesting level
 * so callers emit keys and values in order and never build a tree; large documents (the
 * master's state) are written in one pass. Parsing JSON is jansson's job, not this file's.
 */
#include "actor/actor.h"

#include <float.h>
#include <math.h>
#include <string.h>

void act_json_init(act_json *j, act_buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

/* Emits the separator a new value needs at the current level. */
static void before_value(act_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->has_items[j->depth]) act_buf_putc(j->out, ',');
    j->has_items[j->depth] = true;
}

static void open_container(act_json *j, char c)
{
    before_value(j);
    act_buf_putc(j->out, c);
    ACT_CHECK(j->depth < ACT_JSON_MAX_DEPTH);
    j->depth++;
    j->has_items[j->depth] = false;
}

static void close_container(act_json *j, char c)
{
    ACT_CHECK(j->depth > 0);
    j->depth--;
    act_buf_putc(j->out, c);
}

void act_json_object_begin(act_json *j) { open_container(j, '{'); }
void act_json_object_end(act_json *j) { close_container(j, '}'); }
void act_json_array_begin(act_json *j) { open_container(j, '['); }
void act_json_array_end(act_json *j) { close_container(j, ']'); }

/* Bytes written escaped: 1 always, 2 only in the escape_slash style. */
static const uint8_t special[256] = {
    [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1, ['/'] = 2,
};

#ifdef __SSE2__
#include <emmintrin.h>

/* The first special byte of s[i, n) looked for 16 bytes at a time (IDs and names are mostly
 * plain: the table costs a few instructions a byte, this a few per 16); where the rest is
 * shorter than 16 bytes, i as it was. */
static size_t skip_plain16(const char *s, size_t i, size_t n, bool escape_slash)
{
    const __m128i control = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                  backslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f),
                  slash = _mm_set1_epi8(escape_slash ? '/' : '"');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(v, control), v); /* v <= 0x1f */
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, del));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, slash));
        int bits = _mm_movemask_epi8(hit);
        if (bits) return i + (size_t)__builtin_ctz((unsigned)bits);
    }
    return i;
}
#else
static size_t skip_plain16(const char *s, size_t i, size_t n, bool escape_slash)
{
    (void)s, (void)n, (void)escape_slash;
    return i;
}
#endif

/* Runs of plain bytes go out in one append; only the special ones are looked at closely. */
void act_json_escape(act_buf *out, const char *s, size_t n, bool escape_slash)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t mask = escape_slash ? 3 : 1;
    act_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        size_t start = i;
        i = skip_plain16(s, i, n, escape_slash);
        while (i < n && !(special[(unsigned char)s[i]] & mask)) i++;
        if (out->len + (i - start) >= out->cap) act_buf_reserve(out, i - start); /* escapes
                                                                  * took the room reserved */
        memcpy(out->data + out->len, s + start, i - start);
        out->len += i - start;
        out->data[out->len] = '\0';
        if (i == n) break;
        unsigned char c = (unsigned char)s[i];
        const char *esc;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '/': esc = "\\/"; break;
        default:
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
            u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
            esc = u;
        }
        act_buf_puts(out, esc);
    }
}

void act_json_key(act_json *j, const char *key)
{
    before_value(j);
    act_buf_putc(j->out, '"');
    act_json_escape(j->out, key, strlen(key), j->escape_slash);
    act_buf_append(j->out, "\":", 2);
    j->after_key = true;
}

void act_json_put_string(act_buf *out, const char *s, size_t n, bool escape_slash)
{
    act_buf_reserve(out, n + 2);
    out->data[out->len++] = '"';
    act_json_escape(out, s, n, escape_slash);
    if (out->len + 1 >= out->cap) act_buf_reserve(out, 1);
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
}

void act_json_string_n(act_json *j, const char *s, size_t n)
{
    before_value(j);
    act_json_put_string(j->out, s, n, j->escape_slash);
}

void act_json_string(act_json *j, const char *s)
{
    if (!s) {
        act_json_null(j);
        return;
    }
    act_json_string_n(j, s, strlen(s));
}

/* Decimal digits without printf (the endpoints write many numbers). */
static void put_uint(act_buf *out, bool negative, uint64_t v)
{
    char b[24], *e = b;
    if (negative) *e++ = '-';
    e = act_put_u64(e, v);
    act_buf_append(out, b, (size_t)(e - b));
}

void act_json_int(act_json *j, int64_t v)
{
    before_value(j);
    put_uint(j->out, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void act_json_uint(act_json *j, uint64_t v)
{
    before_value(j);
    put_uint(j->out, false, v);
}

/* "%.15g" without printf where the 15 digits are certain: v (not an integer) scaled by an
 * exact power of ten into [1e14, 1e15) in extended precision, whose rounding error is far
 * below the margin kept around a half (a value that close to a tie goes to printf, as do
 * those %g writes with an exponent). False if nothing was written. */
static bool put_g15(act_buf *out, double v)
{
    static const long double p10[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L};
    if (LDBL_MANT_DIG < 64) return false; /* the margin below needs x87's 64-bit mantissa */
    long double a = fabs(v);
    if (!(a >= 1e-4L && a < 1e15L)) return false;
    int e = 14; /* the decimal exponent of a: a in [10^e, 10^(e+1)) */
    if (a >= 1)
        while (a < p10[e]) e--;
    else
        for (e = -1; e > -4 && a * p10[-e] < 1; e--) {}
    long double x = a * p10[14 - e];
    if (x < 1e14L || x >= 1e15L) return false; /* e misjudged at a power of ten */
    uint64_t r = (uint64_t)x;
    long double frac = x - (long double)r;
    if (fabsl(frac - 0.5L) < 1e-4L) return false; /* too near a tie to be sure */
    r += frac > 0.5L;
    if (r >= 1000000000000000ull) r /= 10, e++; /* rounded up to the next power of ten */
    if (e >= 15) return false;
    char d[16], b[40];
    for (int k = 14; k >= 0; k--, r /= 10) d[k] = (char)('0' + r % 10);
    int last = 14; /* the last digit kept: %g drops trailing zeros after the point */
    while (last > (e > 0 ? e : 0) && d[last] == '0') last--;
    size_t n = 0;
    if (signbit(v)) b[n++] = '-';
    int point = e >= 0 ? e : -1; /* the digit after which the point goes */
    if (e < 0) {
        b[n++] = '0', b[n++] = '.';
        for (int z = -1; z > e; z--) b[n++] = '0';
    }
    for (int k = 0; k <= last; k++) {
        b[n++] = d[k];
        if (k == point && k < last) b[n++] = '.';
    }
    act_buf_append(out, b, n);
    return true;
}

void act_json_put_double(act_buf *out, double v)
{
    if (!isfinite(v))
        act_buf_append(out, "null", 4);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        put_uint(out, signbit(v), (uint64_t)fabs(v)); /* "-0" for -0.0, as %.0f */
    else if (!put_g15(out, v))
        act_buf_printf(out, "%.15g", v);
}

void act_json_double(act_json *j, double v)
{
    before_value(j);
    act_json_put_double(j->out, v);
}

void act_json_bool(act_json *j, bool v)
{
    before_value(j);
    act_buf_puts(j->out, v ? "true" : "false");
}

void act_json_null(act_json *j)
{
    before_value(j);
    act_buf_puts(j->out, "null");
}

void act_json_raw(act_json *j, const char *text, size_t n)
{
    before_value(j);
    act_buf_append(j->out, text, n);
}

void act_json_kv_string(act_json *j, const char *key, const char *v)
{
    act_json_key(j, key);
    act_json_string(j, v);
}

void act_json_kv_int(act_json *j, const char *key, int64_t v)
{
    act_json_key(j, key);
    act_json_int(j, v);
}

void act_json_kv_uint(act_json *j, const char *key, uint64_t v)
{
    act_json_key(j, key);
    act_json_uint(j, v);
}

void act_json_kv_double(act_json *j, const char *key, double v)
{
    act_json_key(j, key);
    act_json_double(j, v);
}

void act_json_kv_bool(act_json *j, const char *key, bool v)
{
    act_json_key(j, key);
    act_json_bool(j, v);
}
