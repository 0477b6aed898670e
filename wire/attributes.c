/*
 * attributes.c - slave attributes (--attributes="rack:1-1; os:rhel7; level:10; ports:[1-2];
 * s:{a,b}"): parsing into the schema's Attribute (text, scalar, ranges or set, as SPEC section 3
 * says), printing back, and lookup. Attributes are copied into offers as they are; no
 * arithmetic applies to them.
 */
#include "wire/wire_int.h"

#include <ctype.h>

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* One "name:value" token in [s, e) into a. */
static int parse_one(const char *s, const char *e, wire_msg *m, wire_attribute *a, char *err,
                     size_t errlen)
{
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *ns = s, *ne = colon ? colon : e;
    trim(&ns, &ne);
    if (!colon || ns == ne)
        return wire__fail(err, errlen, WIRE_EPARSE, "Invalid attribute key:value pair '%.*s'",
                          (int)(e - s), s);
    wire_value v;
    char why[160];
    int rc = wire__value_parse(colon + 1, (size_t)(e - colon - 1), m, &v, why, sizeof why);
    if (rc)
        return wire__fail(err, errlen, rc, "Invalid value for attribute '%.*s': %s", (int)(ne - ns),
                          ns, why);
    wire_init(WIRE_DESC(attribute), a);
    a->name = wire_alloc(m, (size_t)(ne - ns) + 1);
    memcpy(a->name, ns, (size_t)(ne - ns));
    a->type = v.type;
    a->scalar = v.scalar;
    a->ranges = v.ranges;
    a->set = v.set;
    a->text = v.text;
    return 0;
}

int attr_parse_text(const char *text, wire_msg *m, wire_attribute **out, size_t *count, char *err,
                    size_t errlen)
{
    size_t max = 1;
    for (const char *p = text; *p; p++) max += *p == ';' || *p == '\n';
    wire_attribute *a = wire_alloc(m, max * sizeof *a);
    size_t n = 0;
    *out = NULL;
    *count = 0;
    for (const char *p = text; *p;) {
        const char *end = p + strcspn(p, ";\n");
        const char *s = p, *e = end;
        trim(&s, &e);
        if (s < e) {
            int rc = parse_one(s, e, m, &a[n], err, errlen);
            if (rc) return rc;
            n++;
        }
        p = *end ? end + 1 : end;
    }
    *out = n ? a : NULL;
    *count = n;
    return 0;
}

void attr_format(const wire_attribute *a, size_t count, act_buf *out)
{
    for (size_t i = 0; i < count; i++) {
        act_buf_printf(out, "%s%s:", i ? "; " : "", wire__str(&a[i].name));
        wire_value_format(out, a[i].type, a[i].scalar, a[i].ranges, a[i].set, a[i].text);
    }
}

const wire_attribute *attr_find(const wire_attribute *a, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(wire__str(&a[i].name), name) == 0) return &a[i];
    return NULL;
}
