/*
 * values.c - Mesos' Value in text: parsing "[1-2, 5-9]", "{a,b}", "8" and plain text (what
 * --resources and --attributes values look like) and printing them back the way Mesos'
 * operator<< does. Also the number formatting shared by resources, attributes and JSON.
 */
#include "wire/wire_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- numbers ----------------------------------------------------------------------------- */

void wire__format_double(act_buf *out, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    act_buf_puts(out, buf);
}

void wire__format_milli(act_buf *out, int64_t milli)
{
    uint64_t mag = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
    uint64_t whole = mag / RES_SCALE, frac = mag % RES_SCALE;
    act_buf_printf(out, "%s%llu", milli < 0 ? "-" : "", (unsigned long long)whole);
    if (frac == 0) return;
    char digits[8];
    snprintf(digits, sizeof digits, "%03llu", (unsigned long long)frac);
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0') n--;
    act_buf_putc(out, '.');
    act_buf_append(out, digits, n);
}

/* Scalars beyond this many thousandths are refused: still exact in a double. */
#define MAX_MILLI 9007199254740992.0 /* 2^53 */

int wire__to_milli(double v, int64_t *out)
{
    double scaled = v * RES_SCALE;
    if (!isfinite(scaled) || fabs(scaled) > MAX_MILLI) return WIRE_ERANGE;
    *out = llround(scaled);
    return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

void wire_value_format(act_buf *out, wire_value_type type, const wire_value_scalar *scalar,
                       const wire_value_ranges *ranges, const wire_value_set *set,
                       const wire_value_text *text)
{
    switch (type) {
    case WIRE_VALUE_SCALAR:
        if (scalar) wire__format_double(out, scalar->value);
        break;
    case WIRE_VALUE_RANGES:
        act_buf_putc(out, '[');
        for (size_t i = 0; ranges && i < ranges->range_count; i++)
            act_buf_printf(out, "%s%llu-%llu", i ? ", " : "",
                           (unsigned long long)ranges->range[i].begin,
                           (unsigned long long)ranges->range[i].end);
        act_buf_putc(out, ']');
        break;
    case WIRE_VALUE_SET:
        act_buf_putc(out, '{');
        for (size_t i = 0; set && i < set->item_count; i++) {
            if (i) act_buf_puts(out, ", ");
            act_buf_puts(out, wire__str(&set->item[i]));
        }
        act_buf_putc(out, '}');
        break;
    case WIRE_VALUE_TEXT:
        if (text) act_buf_puts(out, wire__str(&text->value));
        break;
    }
}

/* ---- parsing ----------------------------------------------------------------------------- */

/* Mesos' checkBracketsMatching: every closing bracket has an opener before it. */
static bool brackets_match(const char *s, char open, char close)
{
    long depth = 0;
    for (; *s; s++) {
        if (*s == open) depth++;
        if (*s == close && --depth < 0) return false;
    }
    return depth == 0;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int cmp_range(const void *a, const void *b)
{
    const wire_value_range *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Sorts and merges overlapping or adjacent ranges, in place. Returns the new count. */
static size_t coalesce(wire_value_range *r, size_t n)
{
    if (n == 0) return 0;
    qsort(r, n, sizeof *r, cmp_range);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[out].end == UINT64_MAX || r[i].begin <= r[out].end + 1) {
            if (r[i].end > r[out].end) r[out].end = r[i].end;
        } else {
            r[++out] = r[i];
        }
    }
    return out + 1;
}

/* "[1-2,5-9]" (spaces already removed). */
static int parse_ranges(const char *s, wire_msg *m, wire_value *out, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (s[len - 1] != ']')
        return wire__fail(err, errlen, WIRE_EPARSE, "Expecting ']' at the end of '%s'", s);
    size_t max = 1;
    for (const char *c = s; *c; c++) max += *c == ',';
    wire_value_range *r = wire_alloc(m, max * sizeof *r);
    size_t n = 0;
    for (const char *p = s + 1; p < s + len - 1;) {
        const char *comma = memchr(p, ',', (size_t)(s + len - 1 - p));
        const char *end = comma ? comma : s + len - 1;
        const char *dash = memchr(p, '-', (size_t)(end - p));
        if (end == p) {
            p = end + 1;
            continue;
        } /* empty item, as Mesos' tokenize skips */
        if (!dash || !parse_u64(p, (size_t)(dash - p), &r[n].begin) ||
            !parse_u64(dash + 1, (size_t)(end - dash - 1), &r[n].end))
            return wire__fail(err, errlen, WIRE_EPARSE,
                              "Expecting non-negative integer ranges 'a-b' in '%.*s'",
                              (int)(end - p), p);
        if (r[n].begin > r[n].end)
            return wire__fail(err, errlen, WIRE_EPARSE, "Invalid range '%.*s': begin > end",
                              (int)(end - p), p);
        n++;
        p = end + 1;
    }
    out->type = WIRE_VALUE_RANGES;
    out->ranges = wire_alloc(m, sizeof *out->ranges);
    out->ranges->range = r;
    out->ranges->range_count = coalesce(r, n);
    return 0;
}

/* "{a,b}" (spaces already removed). Empty items are skipped, as Mesos' tokenize does. */
static int parse_set(const char *s, wire_msg *m, wire_value *out, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (s[len - 1] != '}')
        return wire__fail(err, errlen, WIRE_EPARSE, "Expecting '}' at the end of '%s'", s);
    size_t max = 1;
    for (const char *c = s; *c; c++) max += *c == ',';
    char **items = wire_alloc(m, max * sizeof *items);
    size_t n = 0;
    for (const char *p = s + 1; p < s + len - 1;) {
        const char *comma = memchr(p, ',', (size_t)(s + len - 1 - p));
        const char *end = comma ? comma : s + len - 1;
        if (end > p) {
            items[n] = wire_alloc(m, (size_t)(end - p) + 1);
            memcpy(items[n++], p, (size_t)(end - p));
        }
        p = end + 1;
    }
    out->type = WIRE_VALUE_SET;
    out->set = wire_alloc(m, sizeof *out->set);
    out->set->item = items;
    out->set->item_count = n;
    return 0;
}

/* A number as boost::lexical_cast<double> reads it: the whole text, finite. */
static bool parse_number(const char *s, double *out)
{
    if (strpbrk(s, "xXnN") || !*s) return false; /* no hex, inf or nan */
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

int wire__value_parse(const char *text, size_t len, wire_msg *m, wire_value *out, char *err,
                      size_t errlen)
{
    char *s = wire_alloc(m, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t') s[n++] = text[i];
    wire_init(WIRE_DESC(value), out);
    if (n == 0) return wire__fail(err, errlen, WIRE_EPARSE, "Expecting a non-empty value");
    if (!brackets_match(s, '[', ']') || !brackets_match(s, '{', '}') ||
        !brackets_match(s, '(', ')'))
        return wire__fail(err, errlen, WIRE_EPARSE, "Mismatched brackets in '%s'", s);
    const char *sq = strchr(s, '['), *cb = strchr(s, '{');
    if (sq == s) return parse_ranges(s, m, out, err, errlen);
    if (sq) return wire__fail(err, errlen, WIRE_EPARSE, "Unexpected '[' in '%s'", s);
    if (cb == s) return parse_set(s, m, out, err, errlen);
    if (cb) return wire__fail(err, errlen, WIRE_EPARSE, "Unexpected '{' in '%s'", s);
    double v;
    if (parse_number(s, &v)) {
        out->type = WIRE_VALUE_SCALAR;
        out->scalar = wire_alloc(m, sizeof *out->scalar);
        out->scalar->value = v;
    } else {
        out->type = WIRE_VALUE_TEXT;
        out->text = wire_alloc(m, sizeof *out->text);
        out->text->value = s;
    }
    return 0;
}
