/*
 * resources.c - resource arithmetic: add, subtract, contains and equality over normalised sets
 * (one entry per name, role and type; fixed-point scalars; sorted coalesced ranges; sorted
 * unique sets). The allocator runs these in loops over every slave, so the common case
 * (same names on both sides, scalars) touches no allocator and compares hashes first.
 */
#include "wire/wire_int.h"

#include <stdlib.h>

/* ---- entries ----------------------------------------------------------------------------- */

uint32_t wire__res_hash(const char *name, const char *role, wire_value_type type)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (const char *p = role; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return (h ^ (uint32_t)type) * 16777619u;
}

/* The keys nearly every resource has, shared by the entries that have them instead of
 * copied, so that theirs compare by pointer: a busy master compares keys several times for
 * each task it launches and ends (strcmp was a tenth of its time). */
static const char shared_keys[][8] = {"cpus\0*", "mem\0*", "disk\0*", "ports\0*"};
#define N_SHARED_KEYS (sizeof shared_keys / sizeof shared_keys[0])

static const char *shared_key(const char *name, const char *role)
{
    if (strcmp(role, "*") != 0) return NULL;
    for (size_t i = 0; i < N_SHARED_KEYS; i++)
        if (strcmp(name, shared_keys[i]) == 0) return shared_keys[i];
    return NULL;
}

static bool is_shared(const char *name)
{
    uintptr_t p = (uintptr_t)name, first = (uintptr_t)shared_keys[0];
    return p >= first && p < first + sizeof shared_keys;
}

static bool same_key(const res_entry *e, uint32_t hash, const char *name, const char *role,
                     wire_value_type type)
{
    return e->hash == hash && e->type == type && (e->name == name || strcmp(e->name, name) == 0)
           && (e->role == role || strcmp(e->role, role) == 0);
}

static void entry_free(res_entry *e)
{
    if (!is_shared(e->name)) free(e->name); /* role shares the allocation */
    free(e->ranges);
    for (size_t i = 0; i < e->nitems; i++) free(e->items[i]);
    free(e->items);
}

res_entry *wire__res_lookup(const res_set *s, const char *name, const char *role,
                            wire_value_type type)
{
    uint32_t h = wire__res_hash(name, role, type);
    for (size_t i = 0; i < s->n; i++)
        if (same_key(&s->v[i], h, name, role, type)) return &s->v[i];
    return NULL;
}

/* The entry of s with k's key. Sets of the same shape keep keys at the same index, so `hint`
 * is tried first; the scan compares precomputed hashes before strings. */
static res_entry *find_key(const res_set *s, const res_entry *k, size_t hint)
{
    if (hint < s->n && same_key(&s->v[hint], k->hash, k->name, k->role, k->type))
        return &s->v[hint];
    for (size_t i = 0; i < s->n; i++)
        if (same_key(&s->v[i], k->hash, k->name, k->role, k->type)) return &s->v[i];
    return NULL;
}

res_entry *wire__res_append(res_set *s, const char *name, const char *role, wire_value_type type)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->v = act_realloc(s->v, s->cap * sizeof *s->v);
    }
    res_entry *e = &s->v[s->n++];
    memset(e, 0, sizeof *e);
    size_t nl = strlen(name), rl = strlen(role);
    const char *shared = shared_key(name, role);
    if (shared) { /* never written through: entries only read their keys */
        e->name = (char *)shared;
    } else {
        e->name = act_malloc(nl + rl + 2);
        memcpy(e->name, name, nl + 1);
        memcpy(e->name + nl + 1, role, rl + 1);
    }
    e->role = e->name + nl + 1;
    e->type = type;
    e->hash = wire__res_hash(name, role, type);
    return e;
}

/* Removes entry i, keeping the order of the others. */
static void remove_at(res_set *s, size_t i)
{
    entry_free(&s->v[i]);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
    s->n--;
}

static bool entry_empty(const res_entry *e)
{
    switch (e->type) {
    case WIRE_VALUE_SCALAR: return e->scalar == 0;
    case WIRE_VALUE_RANGES: return e->nranges == 0;
    default: return e->nitems == 0;
    }
}

/* ---- ranges ------------------------------------------------------------------------------ */

static void ranges_reserve(res_entry *e, size_t n)
{
    if (n <= e->ranges_cap) return;
    e->ranges_cap = n < 4 ? 4 : n;
    e->ranges = act_realloc(e->ranges, e->ranges_cap * sizeof *e->ranges);
}

/* Merges the sorted lists in place (from the back), then coalesces overlapping or adjacent. */
static void ranges_add(res_entry *e, const res_range *b, size_t nb)
{
    size_t na = e->nranges;
    ranges_reserve(e, na + nb);
    res_range *r = e->ranges;
    size_t i = na, j = nb, k = na + nb;
    while (j > 0) {
        if (i > 0 && r[i - 1].begin > b[j - 1].begin)
            r[--k] = r[--i];
        else
            r[--k] = b[--j];
    }
    size_t out = 0;
    for (size_t x = 1; x < na + nb; x++) {
        if (r[out].end == UINT64_MAX || r[x].begin <= r[out].end + 1) {
            if (r[x].end > r[out].end) r[out].end = r[x].end;
        } else {
            r[++out] = r[x];
        }
    }
    e->nranges = na + nb ? out + 1 : 0;
}

static bool ranges_contain(const res_range *a, size_t na, const res_range *b, size_t nb)
{
    size_t i = 0;
    for (size_t j = 0; j < nb; j++) {
        while (i < na && a[i].end < b[j].begin) i++;
        if (i == na || a[i].begin > b[j].begin || a[i].end < b[j].end) return false;
    }
    return true;
}

/* e -= b, where b is contained in e. The result has at most na + nb ranges. */
static void ranges_subtract(res_entry *e, const res_range *b, size_t nb)
{
    res_range small[16];
    size_t na = e->nranges, cap = na + nb;
    res_range *out = cap <= 16 ? small : act_malloc(cap * sizeof *out);
    size_t n = 0, j = 0;
    for (size_t i = 0; i < na; i++) {
        uint64_t begin = e->ranges[i].begin, end = e->ranges[i].end;
        bool left = true; /* [begin, end] still has a remainder */
        for (; j < nb && b[j].begin <= end; j++) {
            if (b[j].begin > begin) out[n++] = (res_range){begin, b[j].begin - 1};
            if (b[j].end >= end) {
                left = false;
                j++;
                break;
            }
            begin = b[j].end + 1;
        }
        if (left) out[n++] = (res_range){begin, end};
    }
    ranges_reserve(e, n);
    memcpy(e->ranges, out, n * sizeof *out);
    e->nranges = n;
    if (out != small) free(out);
}

/* ---- sets -------------------------------------------------------------------------------- */

static bool set_contains(const res_entry *a, const res_entry *b)
{
    size_t i = 0;
    for (size_t j = 0; j < b->nitems; j++) {
        int c = 1;
        while (i < a->nitems && (c = strcmp(a->items[i], b->items[j])) < 0) i++;
        if (c != 0) return false;
    }
    return true;
}

/* a = a U b, both sorted. */
static void set_add(res_entry *a, const res_entry *b)
{
    size_t na = a->nitems, cap = na + b->nitems;
    char **out = act_malloc((cap ? cap : 1) * sizeof *out);
    size_t i = 0, j = 0, n = 0;
    while (i < na || j < b->nitems) {
        int c = i == na ? 1 : j == b->nitems ? -1 : strcmp(a->items[i], b->items[j]);
        if (c <= 0)
            out[n++] = a->items[i++];
        else
            out[n++] = act_strdup(b->items[j++]);
        if (c == 0) j++;
    }
    free(a->items);
    a->items = out;
    a->nitems = n;
    a->items_cap = cap;
}

/* a = a \ b, where b is a subset of a. */
static void set_subtract(res_entry *a, const res_entry *b)
{
    size_t n = 0, j = 0;
    for (size_t i = 0; i < a->nitems; i++) {
        if (j < b->nitems && strcmp(a->items[i], b->items[j]) == 0) {
            free(a->items[i]);
            j++;
        } else {
            a->items[n++] = a->items[i];
        }
    }
    a->nitems = n;
}

/* ---- values ------------------------------------------------------------------------------ */

static void value_add(res_entry *a, const res_entry *b)
{
    if (a->type == WIRE_VALUE_SCALAR)
        a->scalar += b->scalar;
    else if (a->type == WIRE_VALUE_RANGES)
        ranges_add(a, b->ranges, b->nranges);
    else
        set_add(a, b);
}

static bool value_contains(const res_entry *a, const res_entry *b)
{
    if (a->type == WIRE_VALUE_SCALAR) return a->scalar >= b->scalar;
    if (a->type == WIRE_VALUE_RANGES)
        return ranges_contain(a->ranges, a->nranges, b->ranges, b->nranges);
    return set_contains(a, b);
}

static bool value_equal(const res_entry *a, const res_entry *b)
{
    if (a->type == WIRE_VALUE_SCALAR) return a->scalar == b->scalar;
    if (a->type == WIRE_VALUE_RANGES)
        return a->nranges == b->nranges &&
               memcmp(a->ranges, b->ranges, a->nranges * sizeof *a->ranges) == 0;
    if (a->nitems != b->nitems) return false;
    for (size_t i = 0; i < a->nitems; i++)
        if (strcmp(a->items[i], b->items[i]) != 0) return false;
    return true;
}

/* Replaces a's value with a copy of b's (same key). */
static void value_assign(res_entry *a, const res_entry *b)
{
    a->scalar = b->scalar;
    if (b->type == WIRE_VALUE_RANGES) {
        ranges_reserve(a, b->nranges);
        memcpy(a->ranges, b->ranges, b->nranges * sizeof *b->ranges);
        a->nranges = b->nranges;
    } else if (b->type == WIRE_VALUE_SET) {
        for (size_t i = 0; i < a->nitems; i++) free(a->items[i]);
        a->nitems = 0;
        set_add(a, b);
    }
}

/* s += b, trying s->v[hint] first. */
static int add_entry(res_set *s, const res_entry *b, size_t hint)
{
    res_entry *a = find_key(s, b, hint);
    if (a && a->type == WIRE_VALUE_SCALAR && a->scalar > INT64_MAX - b->scalar) return WIRE_ERANGE;
    if (!a) {
        a = wire__res_append(s, b->name, b->role, b->type);
        value_assign(a, b);
    } else {
        value_add(a, b);
    }
    return 0;
}

int wire__res_add_entry(res_set *s, const res_entry *b)
{
    return add_entry(s, b, 0);
}

/* ---- sets of resources ------------------------------------------------------------------- */

void res_clear(res_set *s)
{
    for (size_t i = 0; i < s->n; i++) entry_free(&s->v[i]);
    s->n = 0;
}

void res_free(res_set *s)
{
    res_clear(s);
    free(s->v);
    memset(s, 0, sizeof *s);
}

bool res_empty(const res_set *s)
{
    return s->n == 0;
}

/* True if dst has src's keys in the same order (then values are copied in place). */
static bool same_shape(const res_set *dst, const res_set *src)
{
    if (dst->n != src->n) return false;
    for (size_t i = 0; i < src->n; i++) {
        const res_entry *a = &dst->v[i], *b = &src->v[i];
        if (!same_key(a, b->hash, b->name, b->role, b->type)) return false;
    }
    return true;
}

void res_copy(res_set *dst, const res_set *src)
{
    if (dst == src) return;
    if (same_shape(dst, src)) {
        for (size_t i = 0; i < src->n; i++) value_assign(&dst->v[i], &src->v[i]);
        return;
    }
    res_clear(dst);
    for (size_t i = 0; i < src->n; i++) {
        const res_entry *b = &src->v[i];
        value_assign(wire__res_append(dst, b->name, b->role, b->type), b);
    }
}

int res_add(res_set *a, const res_set *b)
{
    if (a == b) {
        res_set copy = {0};
        res_copy(&copy, b);
        int rc = res_add(a, &copy);
        res_free(&copy);
        return rc;
    }
    for (size_t i = 0; i < b->n; i++) { /* check first, so a failure changes nothing */
        const res_entry *e = find_key(a, &b->v[i], i);
        if (e && e->type == WIRE_VALUE_SCALAR && e->scalar > INT64_MAX - b->v[i].scalar)
            return WIRE_ERANGE;
    }
    for (size_t i = 0; i < b->n; i++) add_entry(a, &b->v[i], i);
    return 0;
}

bool res_contains(const res_set *a, const res_set *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const res_entry *have = find_key(a, &b->v[i], i);
        if (!have || !value_contains(have, &b->v[i])) return false;
    }
    return true;
}

int res_subtract(res_set *a, const res_set *b)
{
    if (a == b) {
        res_clear(a);
        return 0;
    }
    if (!res_contains(a, b)) return WIRE_ENOTCONTAINED;
    for (size_t i = 0; i < b->n; i++) {
        const res_entry *e = &b->v[i];
        res_entry *have = find_key(a, e, i);
        if (e->type == WIRE_VALUE_SCALAR)
            have->scalar -= e->scalar;
        else if (e->type == WIRE_VALUE_RANGES)
            ranges_subtract(have, e->ranges, e->nranges);
        else
            set_subtract(have, e);
        if (entry_empty(have)) remove_at(a, (size_t)(have - a->v));
    }
    return 0;
}

bool res_equal(const res_set *a, const res_set *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++) {
        const res_entry *other = find_key(b, &a->v[i], i);
        if (!other || !value_equal(&a->v[i], other)) return false;
    }
    return true;
}

void res_filter_role(const res_set *s, const char *role, res_set *out)
{
    if (out == s) {
        res_set tmp = {0};
        res_filter_role(s, role, &tmp);
        res_free(out);
        *out = tmp;
        return;
    }
    res_clear(out);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].role, role) == 0) wire__res_add_entry(out, &s->v[i]);
}

void res_flatten(const res_set *s, const char *role, res_set *out)
{
    if (!role) role = "*";
    if (out == s) {
        res_set tmp = {0};
        res_flatten(s, role, &tmp);
        res_free(out);
        *out = tmp;
        return;
    }
    res_clear(out);
    for (size_t i = 0; i < s->n; i++) {
        const res_entry *e = &s->v[i];
        res_entry *into = wire__res_lookup(out, e->name, role, e->type);
        if (!into)
            value_assign(wire__res_append(out, e->name, role, e->type), e);
        else if (e->type != WIRE_VALUE_SCALAR || into->scalar <= INT64_MAX - e->scalar)
            value_add(into, e);
    }
}

const res_entry *res_find(const res_set *s, const char *name, const char *role,
                          wire_value_type type)
{
    return wire__res_lookup(s, name, role ? role : "*", type);
}

/* ---- queries and single additions -------------------------------------------------------- */

int64_t res_scalar_milli(const res_set *s, const char *name)
{
    int64_t sum = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].type == WIRE_VALUE_SCALAR && strcmp(s->v[i].name, name) == 0)
            sum += s->v[i].scalar;
    return sum;
}

double res_scalar(const res_set *s, const char *name)
{
    return (double)res_scalar_milli(s, name) / RES_SCALE;
}

void res_gauges(const char *prefix, const char *name, double total, double used)
{
    char key[256];
    snprintf(key, sizeof key, "%s/%s_total", prefix, name);
    act_gauge_set(act_gauge_get(key), total);
    snprintf(key, sizeof key, "%s/%s_used", prefix, name);
    act_gauge_set(act_gauge_get(key), used);
    snprintf(key, sizeof key, "%s/%s_percent", prefix, name);
    act_gauge_set(act_gauge_get(key), total > 0 ? used / total : 0);
}

void res_ranges(const res_set *s, const char *name, res_range **out, size_t *count)
{
    res_entry all = {.type = WIRE_VALUE_RANGES};
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].type == WIRE_VALUE_RANGES && strcmp(s->v[i].name, name) == 0)
            ranges_add(&all, s->v[i].ranges, s->v[i].nranges);
    if (all.nranges == 0) {
        free(all.ranges);
        all.ranges = NULL;
    }
    *out = all.ranges;
    *count = all.nranges;
}

int res_add_scalar(res_set *s, const char *name, const char *role, double value)
{
    int64_t milli;
    if (!name || !*name) return WIRE_EINVAL;
    if (wire__to_milli(value, &milli)) return WIRE_ERANGE;
    if (milli <= 0) return 0;
    res_entry one = {.name = (char *)name,
                     .role = (char *)(role ? role : "*"),
                     .type = WIRE_VALUE_SCALAR,
                     .scalar = milli};
    one.hash = wire__res_hash(one.name, one.role, one.type);
    return wire__res_add_entry(s, &one);
}

int res_add_range(res_set *s, const char *name, const char *role, uint64_t begin, uint64_t end)
{
    if (!name || !*name || begin > end) return WIRE_EINVAL;
    res_range r = {begin, end};
    res_entry one = {.name = (char *)name,
                     .role = (char *)(role ? role : "*"),
                     .type = WIRE_VALUE_RANGES,
                     .ranges = &r,
                     .nranges = 1};
    one.hash = wire__res_hash(one.name, one.role, one.type);
    return wire__res_add_entry(s, &one);
}
