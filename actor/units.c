/*
 * units.c - durations ("5mins") and byte sizes ("64MB") in Mesos' textual forms, parsed and
 * printed the way stout's Duration and Bytes do, so flags, /master/flags and logs read the
 * same as in Mesos. Durations are carried as double seconds but bounded, like stout's, by
 * int64 nanoseconds (about 292 years); byte sizes are uint64.
 */
#include "actor/actor.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define NS_PER_US 1000LL
#define NS_PER_MS (1000 * NS_PER_US)
#define NS_PER_SEC (1000 * NS_PER_MS)
#define NS_PER_MIN (60 * NS_PER_SEC)
#define NS_PER_HOUR (60 * NS_PER_MIN)
#define NS_PER_DAY (24 * NS_PER_HOUR)
#define NS_PER_WEEK (7 * NS_PER_DAY)

/* 2^63 as a double: the first nanosecond count an int64 cannot hold. */
#define NS_LIMIT 9223372036854775808.0

typedef struct duration_unit {
    const char *name;
    int64_t ns;
} duration_unit;

static const duration_unit duration_units[] = {
    {"ns", 1},          {"us", NS_PER_US},    {"ms", NS_PER_MS},    {"secs", NS_PER_SEC},
    {"mins", NS_PER_MIN}, {"hrs", NS_PER_HOUR}, {"days", NS_PER_DAY}, {"weeks", NS_PER_WEEK},
};

static const duration_unit *find_duration_unit(const char *name)
{
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++)
        if (strcmp(duration_units[i].name, name) == 0) return &duration_units[i];
    return NULL;
}

/* Length of the leading "digits with at most one '.'" run, or 0 if it is not a number. */
static size_t number_prefix(const char *s)
{
    size_t i = 0, digits = 0, dots = 0;
    for (; s[i] == '.' || (s[i] >= '0' && s[i] <= '9'); i++) {
        if (s[i] == '.') dots++;
        else digits++;
    }
    return digits > 0 && dots <= 1 ? i : 0;
}

int act_duration_parse(const char *text, double *secs)
{
    if (!text) return -EINVAL;
    size_t n = number_prefix(text);
    if (n == 0) return -EINVAL;
    const duration_unit *unit = find_duration_unit(text + n);
    if (!unit) return -EINVAL;
    /* The unit starts with none of the letters strtod would take (e, x, p, i, n after a
     * digit), so strtod stops exactly at the unit; the check below keeps that honest. */
    char *end;
    double value = strtod(text, &end);
    if (end != text + n || !isfinite(value)) return -EINVAL;
    double ns = value * (double)unit->ns;
    if (!(ns < NS_LIMIT)) return -EINVAL;
    *secs = ns / 1e9;
    return 0;
}

/* Seconds to whole nanoseconds, saturating like stout's Duration::max()/min(). */
static int64_t to_nanos(double secs)
{
    if (isnan(secs)) return 0;
    double ns = secs * 1e9;
    if (ns >= NS_LIMIT) return INT64_MAX;
    if (ns <= -NS_LIMIT) return INT64_MIN;
    return (int64_t)llround(ns);
}

/* stout's rule: pick the bucket the value falls in, but step one unit down when the value
 * is not whole in the bucket's unit and is whole in the smaller one ("90secs", "1500ms"). */
static const duration_unit *pick_duration_unit(int64_t ns)
{
    const size_t count = sizeof duration_units / sizeof duration_units[0];
    size_t bucket = 0;
    while (bucket + 1 < count && ns >= duration_units[bucket + 1].ns) bucket++;
    if (bucket == 0) return &duration_units[0];
    const duration_unit *big = &duration_units[bucket], *small = &duration_units[bucket - 1];
    if (ns % big->ns != 0 && ns % small->ns == 0) return small;
    return big;
}

char *act_duration_format(double secs, char *buf, size_t n)
{
    if (n == 0) return buf;
    int64_t ns = to_nanos(secs);
    const char *sign = "";
    if (ns < 0) {
        sign = "-";
        ns = ns == INT64_MIN ? INT64_MAX : -ns;
    }
    const duration_unit *unit = pick_duration_unit(ns);
    if (unit->ns == 1)
        snprintf(buf, n, "%s%lldns", sign, (long long)ns);
    else
        snprintf(buf, n, "%s%.15g%s", sign, (double)ns / (double)unit->ns, unit->name);
    return buf;
}

typedef struct bytes_unit {
    const char *name;
    uint64_t bytes;
} bytes_unit;

static const bytes_unit bytes_units[] = {
    {"B", 1},
    {"KB", 1ULL << 10},
    {"MB", 1ULL << 20},
    {"GB", 1ULL << 30},
    {"TB", 1ULL << 40},
};

int act_bytes_parse(const char *text, uint64_t *bytes)
{
    if (!text) return -EINVAL;
    uint64_t value = 0;
    size_t i = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (value > (UINT64_MAX - digit) / 10) return -EINVAL;
        value = value * 10 + digit;
    }
    if (i == 0) return -EINVAL; /* also rejects fractions: "." is not a unit */
    /* Like stout, the unit is case-insensitive ("64mb"). */
    for (size_t u = 0; u < sizeof bytes_units / sizeof bytes_units[0]; u++) {
        if (strcasecmp(text + i, bytes_units[u].name) != 0) continue;
        if (value > UINT64_MAX / bytes_units[u].bytes) return -EINVAL;
        *bytes = value * bytes_units[u].bytes;
        return 0;
    }
    return -EINVAL;
}

char *act_bytes_format(uint64_t bytes, char *buf, size_t n)
{
    if (n == 0) return buf;
    size_t u = 0;
    /* Raise the unit only while no information is lost (stout's rule). */
    while (bytes != 0 && u + 1 < sizeof bytes_units / sizeof bytes_units[0] &&
           bytes % bytes_units[u + 1].bytes == 0)
        u++;
    snprintf(buf, n, "%llu%s", (unsigned long long)(bytes / bytes_units[u].bytes),
             bytes_units[u].name);
    return buf;
}
