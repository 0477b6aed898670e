/*
 * res_io.c - resources in and out: the --resources text form ("cpus(prod):8; ports(*):[1-2]")
 * and its JSON form, printing back in the same text form, and conversion to and from the
 * schema's repeated Resource. Every way in validates like Mesos' Resources::validate, so a
 * res_set is always normalised and never holds a negative amount.
 */
#include "wire/wire_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static bool role_valid(const char *role)
{
    if (!*role) return false;
    for (const char *p = role; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) || strchr("();:", *p))
            return false;
    return true;
}

static int cmp_range(const void *a, const void *b)
{
    const res_range *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The value helpers below fill e from a Value's parts (temporary memory from scratch). Each
 * returns 0, a negative code, or 1 when the value is empty (a zero scalar, no ranges, no items:
 * dropped, as Mesos drops empty resources). */

static int scalar_value(res_entry *e, const wire_value_scalar *scalar, char *err, size_t errlen)
{
    if (!(scalar->value >= 0))
        return wire__fail(err, errlen, WIRE_EINVAL, "Invalid scalar resource '%s': value < 0",
                          e->name);
    if (wire__to_milli(scalar->value, &e->scalar))
        return wire__fail(err, errlen, WIRE_ERANGE, "Scalar resource '%s' is too large", e->name);
    return e->scalar == 0;
}

static int ranges_value(res_entry *e, const wire_value_ranges *ranges, wire_msg *scratch,
                        char *err, size_t errlen)
{
    e->ranges = wire_alloc(scratch, (ranges->range_count + 1) * sizeof *e->ranges);
    for (size_t i = 0; i < ranges->range_count; i++) {
        e->ranges[i] = (res_range){ranges->range[i].begin, ranges->range[i].end};
        if (e->ranges[i].begin > e->ranges[i].end)
            return wire__fail(err, errlen, WIRE_EINVAL, "Invalid ranges resource '%s': begin > end",
                              e->name);
    }
    e->nranges = ranges->range_count;
    qsort(e->ranges, e->nranges, sizeof *e->ranges, cmp_range);
    return e->nranges == 0;
}

static int set_value(res_entry *e, const wire_value_set *set, wire_msg *scratch, char *err,
                     size_t errlen)
{
    e->items = wire_alloc(scratch, (set->item_count + 1) * sizeof *e->items);
    for (size_t i = 0; i < set->item_count; i++) e->items[i] = (char *)wire__str(&set->item[i]);
    e->nitems = set->item_count;
    qsort(e->items, e->nitems, sizeof *e->items, cmp_str);
    for (size_t i = 1; i < e->nitems; i++)
        if (strcmp(e->items[i - 1], e->items[i]) == 0)
            return wire__fail(err, errlen, WIRE_EINVAL,
                              "Invalid set resource '%s': duplicated elements", e->name);
    return e->nitems == 0;
}

/* Exactly the part matching the type must be present (Mesos' Resources::validate). */
static int entry_value(res_entry *e, const wire_value_scalar *scalar,
                       const wire_value_ranges *ranges, const wire_value_set *set,
                       wire_msg *scratch, char *err, size_t errlen)
{
    static const char *const kinds[] = {"scalar", "ranges", "set", "text"};
    bool ok = (e->type == WIRE_VALUE_SCALAR && scalar && !ranges && !set) ||
              (e->type == WIRE_VALUE_RANGES && ranges && !scalar && !set) ||
              (e->type == WIRE_VALUE_SET && set && !scalar && !ranges);
    if (!ok)
        return wire__fail(err, errlen, WIRE_EINVAL, "Invalid %s resource '%s'",
                          (unsigned)e->type < 4 ? kinds[e->type] : "?", e->name);
    if (e->type == WIRE_VALUE_SCALAR) return scalar_value(e, scalar, err, errlen);
    if (e->type == WIRE_VALUE_RANGES) return ranges_value(e, ranges, scratch, err, errlen);
    return set_value(e, set, scratch, err, errlen);
}

/* Validates one resource and adds it to out. */
static int add_resource(res_set *out, const char *name, const char *role, wire_value_type type,
                        const wire_value_scalar *scalar, const wire_value_ranges *ranges,
                        const wire_value_set *set, wire_msg *scratch, char *err, size_t errlen)
{
    if (!*name) return wire__fail(err, errlen, WIRE_EINVAL, "Empty resource name");
    if (!role_valid(role))
        return wire__fail(err, errlen, WIRE_EINVAL, "Invalid role '%s' for resource '%s'", role,
                          name);
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i].name, name) == 0 && out->v[i].type != type)
            return wire__fail(
                err, errlen, WIRE_EINVAL,
                "Resources with the same name ('%s') but different types are not allowed", name);
    res_entry e = {.name = (char *)name,
                   .role = (char *)role,
                   .type = type,
                   .hash = wire__res_hash(name, role, type)};
    int rc = entry_value(&e, scalar, ranges, set, scratch, err, errlen);
    if (rc) return rc > 0 ? 0 : rc;
    if (wire__res_add_entry(out, &e))
        return wire__fail(err, errlen, WIRE_ERANGE, "Scalar resource '%s' is too large", name);
    return 0;
}

/* ---- text -------------------------------------------------------------------------------- */

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* One "name(role):value" token in [s, e). */
static int parse_token(const char *s, const char *e, const char *default_role, res_set *out,
                       wire_msg *scratch, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (!colon || memchr(colon + 1, ':', (size_t)(e - colon - 1)))
        return wire__fail(err, errlen, WIRE_EPARSE, "Bad value for resources: '%.*s'", (int)(e - s),
                          s);
    const char *ne = colon, *open = memchr(s, '(', (size_t)(colon - s));
    char *role = (char *)default_role;
    if (open) {
        const char *close = memchr(open, ')', (size_t)(colon - open));
        const char *rs = open + 1, *re = close, *after = close ? close + 1 : colon;
        trim(&after, &ne);
        if (!close || after != ne)
            return wire__fail(err, errlen, WIRE_EPARSE,
                              "Bad value for resources, mismatched parentheses in '%.*s'",
                              (int)(e - s), s);
        trim(&rs, &re);
        role = wire_alloc(scratch, (size_t)(re - rs) + 1);
        memcpy(role, rs, (size_t)(re - rs));
        ne = open;
    }
    trim(&s, &ne);
    char *name = wire_alloc(scratch, (size_t)(ne - s) + 1);
    memcpy(name, s, (size_t)(ne - s));
    wire_value v;
    char why[160];
    if (wire__value_parse(colon + 1, (size_t)(e - colon - 1), scratch, &v, why, sizeof why))
        return wire__fail(err, errlen, WIRE_EPARSE, "Bad value for resource '%s': %s", name, why);
    if (v.type == WIRE_VALUE_TEXT)
        return wire__fail(err, errlen, WIRE_EPARSE,
                          "Bad value for resource '%s': '%s' is not a number, [ranges] or {set}",
                          name, v.text->value);
    return add_resource(out, name, role, v.type, v.scalar, v.ranges, v.set, scratch, err, errlen);
}

int res_parse_text(const char *text, const char *default_role, res_set *out, char *err,
                   size_t errlen)
{
    res_clear(out);
    wire_msg *scratch = wire_new(WIRE_DESC(value));
    const char *role = default_role ? default_role : "*";
    int rc = 0;
    for (const char *p = text; *p && rc == 0;) {
        const char *end = strchr(p, ';');
        if (!end) end = p + strlen(p);
        const char *s = p, *e = end;
        trim(&s, &e);
        if (s < e) rc = parse_token(s, e, role, out, scratch, err, errlen);
        p = *end ? end + 1 : end;
    }
    wire_msg_free(scratch);
    if (rc) res_clear(out);
    return rc;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static int parse_json_array(const json_t *arr, const char *role, res_set *out, wire_msg *scratch,
                            char *err, size_t errlen)
{
    if (!json_is_array(arr))
        return wire__fail(err, errlen, WIRE_EPARSE, "Expecting a JSON array of resources");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        wire_resource r;
        char why[200];
        int rc = wire__from_jansson(WIRE_DESC(resource), json_array_get(arr, i), scratch, &r, why,
                                    sizeof why);
        if (rc == 0) {
            if (r.disk)
                rc = wire__fail(why, sizeof why, WIRE_EINVAL, "disk resources are not supported");
            else
                rc = add_resource(out, r.name, r.has_role ? r.role : role, r.type, r.scalar,
                                  r.ranges, r.set, scratch, why, sizeof why);
        }
        if (rc) return wire__fail(err, errlen, rc, "resource %zu: %s", i, why);
    }
    return 0;
}

int res_parse_json(const char *text, const char *default_role, res_set *out, char *err,
                   size_t errlen)
{
    res_clear(out);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        return wire__fail(err, errlen, WIRE_EPARSE, "Invalid JSON at line %d column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    wire_msg *scratch = wire_new(WIRE_DESC(value));
    int rc = parse_json_array(root, default_role ? default_role : "*", out, scratch, err, errlen);
    wire_msg_free(scratch);
    json_decref(root);
    if (rc) res_clear(out);
    return rc;
}

int res_parse(const char *text, const char *default_role, res_set *out, char *err, size_t errlen)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '[') return res_parse_json(text, default_role, out, err, errlen);
    return res_parse_text(text, default_role, out, err, errlen);
}

/* ---- printing ---------------------------------------------------------------------------- */

void wire__res_format_value(const res_entry *e, act_buf *out)
{
    if (e->type == WIRE_VALUE_SCALAR) {
        wire__format_milli(out, e->scalar);
    } else if (e->type == WIRE_VALUE_RANGES) {
        act_buf_putc(out, '[');
        for (size_t i = 0; i < e->nranges; i++)
            act_buf_printf(out, "%s%llu-%llu", i ? ", " : "",
                           (unsigned long long)e->ranges[i].begin,
                           (unsigned long long)e->ranges[i].end);
        act_buf_putc(out, ']');
    } else {
        act_buf_putc(out, '{');
        for (size_t i = 0; i < e->nitems; i++)
            act_buf_printf(out, "%s%s", i ? ", " : "", e->items[i]);
        act_buf_putc(out, '}');
    }
}

void res_format(const res_set *s, act_buf *out)
{
    for (size_t i = 0; i < s->n; i++) {
        if (i) act_buf_puts(out, "; ");
        act_buf_printf(out, "%s(%s):", s->v[i].name, s->v[i].role);
        wire__res_format_value(&s->v[i], out);
    }
}

char *res_to_string(const res_set *s)
{
    act_buf b = {0};
    res_format(s, &b);
    return act_buf_detach(&b, NULL);
}

/* ---- the schema's Resource --------------------------------------------------------------- */

int res_from_wire(const wire_resource *r, size_t count, res_set *out, char *err, size_t errlen)
{
    res_clear(out);
    wire_msg *scratch = wire_new(WIRE_DESC(value));
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const wire_resource *x = &r[i];
        if (x->disk)
            rc = wire__fail(err, errlen, WIRE_EINVAL,
                            "Resource '%s': disk resources are not supported", wire__str(&x->name));
        else
            rc = add_resource(out, wire__str(&x->name), x->has_role ? wire__str(&x->role) : "*",
                              x->type, x->scalar, x->ranges, x->set, scratch, err, errlen);
    }
    wire_msg_free(scratch);
    if (rc) res_clear(out);
    return rc;
}

static void entry_to_wire(const res_entry *e, wire_msg *m, wire_resource *r)
{
    wire_init(WIRE_DESC(resource), r);
    r->name = wire_strdup(m, e->name);
    r->type = e->type;
    r->has_role = true;
    r->role = wire_strdup(m, e->role);
    if (e->type == WIRE_VALUE_SCALAR) {
        r->scalar = wire_alloc(m, sizeof *r->scalar);
        r->scalar->value = (double)e->scalar / RES_SCALE;
    } else if (e->type == WIRE_VALUE_RANGES) {
        r->ranges = wire_alloc(m, sizeof *r->ranges);
        r->ranges->range = wire_alloc(m, e->nranges * sizeof *r->ranges->range);
        for (size_t i = 0; i < e->nranges; i++)
            r->ranges->range[i] = (wire_value_range){e->ranges[i].begin, e->ranges[i].end};
        r->ranges->range_count = e->nranges;
    } else {
        r->set = wire_alloc(m, sizeof *r->set);
        r->set->item = wire_alloc(m, e->nitems * sizeof *r->set->item);
        for (size_t i = 0; i < e->nitems; i++) r->set->item[i] = wire_strdup(m, e->items[i]);
        r->set->item_count = e->nitems;
    }
}

void res_to_wire(const res_set *s, wire_msg *m, wire_resource **out, size_t *count)
{
    wire_resource *r = s->n ? wire_alloc(m, s->n * sizeof *r) : NULL;
    for (size_t i = 0; i < s->n; i++) entry_to_wire(&s->v[i], m, &r[i]);
    *out = r;
    *count = s->n;
}
