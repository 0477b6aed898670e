/*
 * fuzz_flags.c - libFuzzer target for the configuration parsers: the input is tried as a
 * duration and a byte size, then split on NUL bytes into an argv for act_flags_load over a
 * small table with every flag type, and the result is rendered back (format, JSON).
 * A crash, a sanitizer report or a leak is a bug; errors are expected and fine.
 */
#include "actor/actor.h"

#include <stddef.h>
#include <string.h>

#define MAX_ARGS 64

typedef struct fuzz_values {
    char *name;
    bool flag;
    int64_t count;
    double ratio;
    double timeout;
    uint64_t size;
    char *list;
} fuzz_values;

static int validate_count(const void *value, char *err, size_t n)
{
    if (*(const int64_t *)value >= 0) return 0;
    snprintf(err, n, "must not be negative");
    return 1;
}

static const act_flag table[] = {
    {"name", ACT_FLAG_STRING, "x", "A string.", offsetof(fuzz_values, name), NULL, NULL},
    {"flag", ACT_FLAG_BOOL, "false", "A boolean.", offsetof(fuzz_values, flag), NULL, NULL},
    {"count", ACT_FLAG_INT, "1", "An integer.", offsetof(fuzz_values, count), validate_count,
     NULL},
    {"ratio", ACT_FLAG_DOUBLE, NULL, "A number.", offsetof(fuzz_values, ratio), NULL, NULL},
    {"timeout", ACT_FLAG_DURATION, "5secs", "A duration.", offsetof(fuzz_values, timeout), NULL,
     NULL},
    {"size", ACT_FLAG_BYTES, "64MB", "A size.", offsetof(fuzz_values, size), NULL, NULL},
    {"list", ACT_FLAG_PATH, NULL, "A file.", offsetof(fuzz_values, list), NULL, NULL},
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* --help and --version print usage to stdout; keep the fuzzer's output readable. */
    FILE *null = freopen("/dev/null", "w", stdout);
    (void)null; /* without it the output is merely noisy */
    return 0;
}

static void fuzz_units(const char *text)
{
    char buf[64];
    double secs;
    /* Round trip below ~31 years; near the int64-nanosecond limit 15 digits may round up. */
    if (act_duration_parse(text, &secs) == 0 && secs < 1e9) {
        act_duration_format(secs, buf, sizeof buf);
        double again;
        ACT_CHECK(act_duration_parse(buf, &again) == 0);
    }
    uint64_t bytes;
    if (act_bytes_parse(text, &bytes) == 0) {
        act_bytes_format(bytes, buf, sizeof buf);
        uint64_t again;
        ACT_CHECK(act_bytes_parse(buf, &again) == 0 && again == bytes);
    }
}

static void fuzz_flags(char *text, size_t size, bool positional)
{
    char *argv[MAX_ARGS + 1] = {"fuzz"};
    int argc = 1;
    for (size_t at = 0; at < size && argc < MAX_ARGS; at += strlen(text + at) + 1)
        argv[argc++] = text + at;
    argv[argc] = NULL;
    fuzz_values values;
    act_flags flags = {.program = "fuzz", .version = "0", .table = table,
                       .count = sizeof table / sizeof table[0], .values = &values};
    char err[256];
    int npositional = 0;
    int rc = act_flags_load(&flags, argc, argv, positional ? &npositional : NULL, "FUZZ_FLAGS_",
                            err, sizeof err);
    if (rc == 0) {
        act_buf out = {0};
        act_json j;
        act_json_init(&j, &out);
        act_flags_json(&flags, &j);
        act_buf_free(&out);
        char buf[64];
        act_flags_format(&flags, "timeout", buf, sizeof buf);
        act_flags_set(&flags, "name", argv[argc - 1], err, sizeof err);
    }
    act_flags_free(&flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = act_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_units(text);
    fuzz_flags(text, size, size > 0 && (data[0] & 1));
    free(text);
    return 0;
}
