/*
 * flags.c - one declarative table per binary drives configuration: defaults, then
 * <PREFIX><name> environment variables, then --name=value arguments (any value may be
 * file:///path), then validators; the same table prints --help and renders /master/flags.
 * Behaviour follows Mesos' stout flags, with the last of duplicate arguments winning.
 *
 * Ownership rule: a set owns the strings in its values struct exactly while flags->given is
 * non-NULL. act_flags_load allocates `given` first thing, so after any act_flags_load call
 * (whatever it returned) the caller releases the set with act_flags_free.
 */
#include "actor/actor.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define MAX_FILE_VALUE (16u << 20) /* largest file:// value read */
#define HELP_WIDTH 80              /* --help wraps help text at this column */
#define HELP_PAD 5                 /* spaces between the flag column and the help (stout) */
#define WHY_MAX 512

/* One parsed value of any flag type; every member starts at the union's address, so a
 * pointer to the union is a pointer to the value whatever its type. */
typedef union flag_value {
    char *s;
    bool b;
    int64_t i;
    double d;
    uint64_t u;
} flag_value;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void *field_of(const act_flags *flags, size_t i)
{
    return (char *)flags->values + flags->table[i].offset;
}

static int find_flag(const act_flags *flags, const char *name)
{
    for (size_t i = 0; i < flags->count; i++)
        if (strcmp(flags->table[i].name, name) == 0) return (int)i;
    return -1;
}

/* "help" and "version" are built in unless the table defines them itself. */
static bool is_builtin(const act_flags *flags, const char *name)
{
    return (strcmp(name, "help") == 0 || strcmp(name, "version") == 0) &&
           find_flag(flags, name) < 0;
}

/* ---- values ------------------------------------------------------------------------------ */

static int parse_bool(const char *text, bool *out)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0) *out = true;
    else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0) *out = false;
    else return -EINVAL;
    return 0;
}

static int parse_int(const char *text, int64_t *out)
{
    const char *digits = text + (text[0] == '-' || text[0] == '+');
    if (!isdigit((unsigned char)digits[0])) return -EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0' || errno == ERANGE) return -EINVAL;
    *out = v;
    return 0;
}

static int parse_double(const char *text, double *out)
{
    /* Plain decimal only: no leading blanks, hex floats, "inf" or "nan". */
    if (!strchr("+-.0123456789", text[0]) || text[0] == '\0' || strpbrk(text, "xX"))
        return -EINVAL;
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v)) return -EINVAL;
    *out = v;
    return 0;
}

/* Flags whose value is a string the set owns. */
static bool is_text(act_flag_type t)
{
    return t == ACT_FLAG_STRING || t == ACT_FLAG_PATH;
}

/* Parses text as a value of type t; on failure writes the reason to why. */
static int parse_value(act_flag_type t, const char *text, flag_value *v, char *why, size_t n)
{
    static const char *const kinds[] = {"string", "boolean", "integer",
                                        "number", "duration", "bytes", "path"};
    int rc = -EINVAL;
    switch (t) {
    case ACT_FLAG_STRING: v->s = act_strdup(text); return 0;
    case ACT_FLAG_PATH:
        if (strncmp(text, "file://", 7) == 0) text += 7;
        if (!*text) break;
        v->s = act_strdup(text);
        return 0;
    case ACT_FLAG_BOOL: rc = parse_bool(text, &v->b); break;
    case ACT_FLAG_INT: rc = parse_int(text, &v->i); break;
    case ACT_FLAG_DOUBLE: rc = parse_double(text, &v->d); break;
    case ACT_FLAG_DURATION: rc = act_duration_parse(text, &v->d); break;
    case ACT_FLAG_BYTES: rc = act_bytes_parse(text, &v->u); break;
    }
    if (rc != 0)
        snprintf(why, n, "invalid %s '%s'", (size_t)t < 7 ? kinds[t] : "value", text);
    return rc;
}

static void format_value(act_flag_type t, const flag_value *v, char *buf, size_t n)
{
    switch (t) {
    case ACT_FLAG_STRING:
    case ACT_FLAG_PATH: snprintf(buf, n, "%s", v->s ? v->s : ""); break;
    case ACT_FLAG_BOOL: snprintf(buf, n, "%s", v->b ? "true" : "false"); break;
    case ACT_FLAG_INT: snprintf(buf, n, "%lld", (long long)v->i); break;
    case ACT_FLAG_DOUBLE: snprintf(buf, n, "%.15g", v->d); break;
    case ACT_FLAG_DURATION: act_duration_format(v->d, buf, n); break;
    case ACT_FLAG_BYTES: act_bytes_format(v->u, buf, n); break;
    default: snprintf(buf, n, "?"); break;
    }
}

static void read_field(const act_flags *flags, size_t i, flag_value *v)
{
    const void *p = field_of(flags, i);
    switch (flags->table[i].type) {
    case ACT_FLAG_STRING:
    case ACT_FLAG_PATH: memcpy(&v->s, p, sizeof v->s); break;
    case ACT_FLAG_BOOL: memcpy(&v->b, p, sizeof v->b); break;
    case ACT_FLAG_INT: memcpy(&v->i, p, sizeof v->i); break;
    case ACT_FLAG_DOUBLE:
    case ACT_FLAG_DURATION: memcpy(&v->d, p, sizeof v->d); break;
    case ACT_FLAG_BYTES: memcpy(&v->u, p, sizeof v->u); break;
    }
}

/* Stores v into the field; `owned` says whether the field's old string is ours to free. */
static void write_field(act_flags *flags, size_t i, const flag_value *v, bool owned)
{
    void *p = field_of(flags, i);
    switch (flags->table[i].type) {
    case ACT_FLAG_STRING:
    case ACT_FLAG_PATH:
        if (owned) free(*(char **)p);
        memcpy(p, &v->s, sizeof v->s);
        break;
    case ACT_FLAG_BOOL: memcpy(p, &v->b, sizeof v->b); break;
    case ACT_FLAG_INT: memcpy(p, &v->i, sizeof v->i); break;
    case ACT_FLAG_DOUBLE:
    case ACT_FLAG_DURATION: memcpy(p, &v->d, sizeof v->d); break;
    case ACT_FLAG_BYTES: memcpy(p, &v->u, sizeof v->u); break;
    }
}

static bool has_value(const act_flags *flags, size_t i)
{
    if (!flags->given || (!flags->given[i] && !flags->table[i].def)) return false;
    if (!is_text(flags->table[i].type)) return true;
    flag_value v;
    read_field(flags, i, &v);
    return v.s != NULL;
}

/* ---- file:// values ---------------------------------------------------------------------- */

/* Reads a value file into out, without its trailing newline. */
static int read_value_file(const char *path, act_buf *out, char *why, size_t n)
{
    int rc = act_buf_read_file(out, path, MAX_FILE_VALUE);
    if (rc != 0) {
        snprintf(why, n, "cannot read file '%s': %s", path,
                 rc == -EINVAL ? "not a regular file" : act_strerror(rc));
        return rc;
    }
    while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
        out->data[--out->len] = '\0';
    return 0;
}

/* ---- giving one flag a value ------------------------------------------------------------- */

/* The text a flag is set from: --name alone means "true" for booleans, --no-name "false". */
static const char *source_text(const act_flag *f, const char *value, bool negated, char *why,
                               size_t n)
{
    if (negated) {
        if (f->type != ACT_FLAG_BOOL) {
            snprintf(why, n, "'--no-%s' given for a non-boolean flag", f->name);
            return NULL;
        }
        if (value && *value) {
            snprintf(why, n, "'--no-%s' takes no value", f->name);
            return NULL;
        }
        return "false";
    }
    if (f->type == ACT_FLAG_BOOL && (!value || !*value)) return "true";
    if (!value) snprintf(why, n, "missing value");
    return value;
}

/* Parses a value given explicitly (environment, command line, act_flags_set) into v. */
static int parse_given(const act_flag *f, const char *value, bool negated, flag_value *v,
                       char *why, size_t n)
{
    const char *text = source_text(f, value, negated, why, n);
    if (!text) return -EINVAL;
    act_buf file = {0};
    int rc = 0;
    if (strncmp(text, "file://", 7) == 0 && f->type != ACT_FLAG_PATH) {
        rc = read_value_file(text + 7, &file, why, n);
        text = file.data;
    }
    if (rc == 0) rc = parse_value(f->type, text, v, why, n);
    act_buf_free(&file);
    return rc;
}

static int run_validator(const act_flag *f, const void *value, char *err, size_t errlen)
{
    if (!f->validate) return 0;
    char why[WHY_MAX] = "";
    if (f->validate(value, why, sizeof why) == 0) return 0;
    set_err(err, errlen, "Failed to load flag '%s': %s", f->name,
            why[0] ? why : "invalid value");
    return -EINVAL;
}

/* Gives flag i a value as if from the command line; `validate` runs its validator first. */
static int give(act_flags *flags, size_t i, const char *value, bool negated, bool validate,
                char *err, size_t errlen)
{
    const act_flag *f = &flags->table[i];
    char why[WHY_MAX];
    flag_value v = {0};
    if (parse_given(f, value, negated, &v, why, sizeof why) != 0) {
        set_err(err, errlen, "Failed to load flag '%s': %s", f->name, why);
        return -EINVAL;
    }
    if (validate && run_validator(f, &v, err, errlen) != 0) {
        if (is_text(f->type)) free(v.s);
        return -EINVAL;
    }
    write_field(flags, i, &v, true);
    flags->given[i] = true;
    return 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

/* Allocates `given` and sets every field to its default (or zero / NULL). The fields are
 * not read first: they may hold garbage. */
static int apply_defaults(act_flags *flags, char *err, size_t errlen)
{
    flags->given = act_calloc(flags->count ? flags->count : 1, sizeof(bool));
    for (size_t i = 0; i < flags->count; i++) {
        const act_flag *f = &flags->table[i];
        flag_value v = {0};
        write_field(flags, i, &v, false);
        if (!f->def) continue;
        char why[WHY_MAX];
        if (parse_value(f->type, f->def, &v, why, sizeof why) != 0) {
            set_err(err, errlen, "Bad default for flag '%s': %s", f->name, why);
            return -EINVAL;
        }
        write_field(flags, i, &v, false);
    }
    return 0;
}

/* One "--name[=value]" argument split up; name is lower-cased (stout does the same). */
typedef struct flag_arg {
    char *name;
    const char *value; /* NULL: no '=' */
} flag_arg;

static flag_arg split_arg(const char *arg)
{
    const char *body = arg + 2, *eq = strchr(body, '=');
    size_t len = eq ? (size_t)(eq - body) : strlen(body);
    flag_arg a = {act_strndup(body, len), eq ? eq + 1 : NULL};
    for (char *p = a.name; *p; p++) *p = (char)tolower((unsigned char)*p);
    return a;
}

/* Whether argv asks for the built-in `name` (--help, --help=true, ... last one wins). */
static bool builtin_requested(const act_flags *flags, int argc, char **argv, const char *name)
{
    bool on = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        flag_arg a = split_arg(argv[i]);
        bool b;
        if (strcmp(a.name, name) == 0 && is_builtin(flags, name))
            on = !a.value || !*a.value || (parse_bool(a.value, &b) == 0 ? b : on);
        else if (strncmp(a.name, "no-", 3) == 0 && strcmp(a.name + 3, name) == 0 &&
                 is_builtin(flags, name))
            on = false;
        free(a.name);
    }
    return on;
}

/* A built-in flag on the command line: already acted on; only its value is checked. */
static int check_builtin(const char *name, const char *value, bool negated, char *err,
                         size_t errlen)
{
    bool b;
    if (!value || !*value) return 0;
    if (negated)
        set_err(err, errlen, "Failed to load flag '%s': '--no-%s' takes no value", name, name);
    else if (parse_bool(value, &b) == 0) return 0;
    else set_err(err, errlen, "Failed to load flag '%s': invalid boolean '%s'", name, value);
    return -EINVAL;
}

static int load_arg(act_flags *flags, const char *arg, char *err, size_t errlen)
{
    flag_arg a = split_arg(arg);
    const char *name = a.name;
    bool negated = false;
    int i = find_flag(flags, name);
    if (i < 0 && strncmp(name, "no-", 3) == 0) {
        negated = true;
        name += 3;
        i = find_flag(flags, name);
    }
    int rc;
    if (i >= 0) rc = give(flags, (size_t)i, a.value, negated, false, err, errlen);
    else if (is_builtin(flags, name)) rc = check_builtin(name, a.value, negated, err, errlen);
    else {
        set_err(err, errlen, "Unknown flag '%s'", a.name);
        rc = -EINVAL;
    }
    free(a.name);
    return rc;
}

static int load_env(act_flags *flags, const char *prefix, char *err, size_t errlen)
{
    if (!prefix) return 0;
    act_buf key = {0};
    int rc = 0;
    for (size_t i = 0; i < flags->count && rc == 0; i++) {
        act_buf_reset(&key);
        act_buf_printf(&key, "%s%s", prefix, flags->table[i].name);
        const char *value = getenv(key.data);
        if (!value) {
            /* MESOS_WORK_DIR works too (stout lower-cases the name); the exact case wins. */
            for (char *p = key.data + strlen(prefix); *p; p++)
                *p = (char)toupper((unsigned char)*p);
            value = getenv(key.data);
        }
        if (value) rc = give(flags, i, value, false, false, err, errlen);
    }
    act_buf_free(&key);
    return rc;
}

/* Moves the positional arguments (indices pos[0..n)) to argv[1..n], in order. */
static int place_positional(char **argv, const int *pos, int n, int *npositional, char *err,
                            size_t errlen)
{
    if (n > 0 && !npositional) {
        set_err(err, errlen, "Unexpected argument '%s'", argv[pos[0]]);
        return -EINVAL;
    }
    for (int k = 0; k < n; k++) argv[1 + k] = argv[pos[k]];
    if (npositional) *npositional = n;
    return 0;
}

static int load_argv(act_flags *flags, int argc, char **argv, int *npositional, char *err,
                     size_t errlen)
{
    int *pos = act_malloc(sizeof *pos * (argc > 0 ? (size_t)argc : 1));
    int npos = 0, rc = 0;
    bool flags_done = false;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (!flags_done && strcmp(argv[i], "--") == 0) flags_done = true;
        else if (flags_done || strncmp(argv[i], "--", 2) != 0) pos[npos++] = i;
        else rc = load_arg(flags, argv[i], err, errlen);
    }
    if (rc == 0) rc = place_positional(argv, pos, npos, npositional, err, errlen);
    free(pos);
    return rc;
}

/* Whether flag i holds its default value (an unset flag without default counts as one). */
static bool is_default(const act_flags *flags, size_t i)
{
    const act_flag *f = &flags->table[i];
    if (!flags->given[i]) return true;
    if (!f->def) return false;
    flag_value v, d = {0};
    char why[WHY_MAX];
    read_field(flags, i, &v);
    if (parse_value(f->type, f->def, &d, why, sizeof why) != 0) return false;
    bool same;
    switch (f->type) {
    case ACT_FLAG_STRING: same = v.s && strcmp(v.s, d.s) == 0; free(d.s); break;
    case ACT_FLAG_BOOL: same = v.b == d.b; break;
    case ACT_FLAG_INT: same = v.i == d.i; break;
    case ACT_FLAG_BYTES: same = v.u == d.u; break;
    default: same = v.d == d.d; break;
    }
    return same;
}

static int validate_all(const act_flags *flags, char *err, size_t errlen)
{
    for (size_t i = 0; i < flags->count; i++) {
        const act_flag *f = &flags->table[i];
        if (f->unbuilt && !is_default(flags, i)) {
            set_err(err, errlen, "Failed to load flag '%s': %s", f->name, f->unbuilt);
            return -ENOTSUP;
        }
        if (!has_value(flags, i)) continue;
        int rc = run_validator(f, field_of(flags, i), err, errlen);
        if (rc != 0) return rc;
    }
    return 0;
}

int act_flags_load(act_flags *flags, int argc, char **argv, int *npositional,
                   const char *env_prefix, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    act_flags_free(flags);
    int rc = apply_defaults(flags, err, errlen);
    if (rc != 0) return rc;
    if (builtin_requested(flags, argc, argv, "help")) {
        act_flags_usage(flags, stdout);
        return ACT_FLAGS_HELP;
    }
    if (builtin_requested(flags, argc, argv, "version")) {
        printf("%s\n", flags->version ? flags->version : "unknown");
        return ACT_FLAGS_VERSION;
    }
    rc = load_env(flags, env_prefix, err, errlen);
    if (rc == 0) rc = load_argv(flags, argc, argv, npositional, err, errlen);
    if (rc == 0) rc = validate_all(flags, err, errlen);
    return rc;
}

int act_flags_set(act_flags *flags, const char *name, const char *value, char *err,
                  size_t errlen)
{
    if (!flags->given) {
        int rc = apply_defaults(flags, err, errlen);
        if (rc != 0) return rc;
    }
    int i = find_flag(flags, name);
    if (i < 0) {
        set_err(err, errlen, "Unknown flag '%s'", name);
        return -EINVAL;
    }
    return give(flags, (size_t)i, value, false, true, err, errlen);
}

void act_flags_free(act_flags *flags)
{
    if (!flags->given) return;
    for (size_t i = 0; i < flags->count; i++) {
        if (!is_text(flags->table[i].type)) continue;
        flag_value none = {0};
        write_field(flags, i, &none, true);
    }
    free(flags->given);
    flags->given = NULL;
}

/* ---- rendering --------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const act_flag *const *)a)->name, (*(const act_flag *const *)b)->name);
}

/* The table plus the built-ins it lacks, sorted by name like Mesos' std::map. The caller
 * frees the array. */
static const act_flag **sorted_flags(const act_flags *flags, bool builtins, size_t *n)
{
    static const act_flag help = {"help", ACT_FLAG_BOOL, "false",
                                  "Prints this help message", 0, NULL, NULL};
    static const act_flag version = {"version", ACT_FLAG_BOOL, "false",
                                     "Prints the version and exits", 0, NULL, NULL};
    const act_flag **list = act_malloc(sizeof *list * (flags->count + 2));
    size_t k = 0;
    for (size_t i = 0; i < flags->count; i++) list[k++] = &flags->table[i];
    if (builtins && is_builtin(flags, "help")) list[k++] = &help;
    if (builtins && is_builtin(flags, "version")) list[k++] = &version;
    qsort(list, k, sizeof *list, by_name);
    *n = k;
    return list;
}

/* The default as Mesos prints it: parsed and formatted ("60secs" shows as "1mins"). */
static void format_default(const act_flag *f, char *buf, size_t n)
{
    char why[WHY_MAX];
    flag_value v = {0};
    if (is_text(f->type) || parse_value(f->type, f->def, &v, why, sizeof why) != 0) {
        snprintf(buf, n, "%s", f->def);
        return;
    }
    format_value(f->type, &v, buf, n);
}

static void pad(FILE *out, size_t n)
{
    while (n--) fputc(' ', out);
}

/* Prints a piece of text of width w, on a new line if it does not fit after `used`. */
static void put_word(FILE *out, const char *p, size_t w, size_t *used, size_t indent,
                     size_t width)
{
    if (*used > 0 && *used + 1 + w > width) {
        fputc('\n', out);
        pad(out, indent);
        *used = 0;
    } else if (*used > 0) {
        fputc(' ', out);
        (*used)++;
    }
    fwrite(p, 1, w, out);
    *used += w;
}

/* Prints text word-wrapped to `width` columns, continuation lines indented by `indent`;
 * newlines in the text start new lines. `tail` ("(default: 5mins)") is kept in one piece. */
static void print_wrapped(FILE *out, const char *text, const char *tail, size_t indent,
                          size_t width)
{
    size_t used = 0;
    for (const char *p = text; *p;) {
        size_t w = strcspn(p, " \n\r");
        if (w > 0) {
            put_word(out, p, w, &used, indent, width);
            p += w;
            continue;
        }
        if (*p != ' ') {
            fputc('\n', out);
            pad(out, indent);
            used = 0;
        }
        p++;
    }
    if (tail) put_word(out, tail, strlen(tail), &used, indent, width);
    fputc('\n', out);
}

static void print_flag_help(FILE *out, const act_flag *f, size_t col)
{
    size_t width = HELP_WIDTH > col + 30 ? HELP_WIDTH - col : 30;
    char tail[300];
    if (f->def) {
        char def[256];
        format_default(f, def, sizeof def);
        snprintf(tail, sizeof tail, "(default: %s)", def);
    }
    act_buf text = {0};
    act_buf_printf(&text, "%s", f->help ? f->help : "");
    if (f->unbuilt) /* a sentence of its own */
        act_buf_printf(&text, "%s%c%s.", text.len ? " " : "",
                       toupper((unsigned char)f->unbuilt[0]), f->unbuilt + 1);
    print_wrapped(out, text.data, f->def ? tail : NULL, col, width);
    act_buf_free(&text);
}

void act_flags_usage(const act_flags *flags, FILE *out)
{
    fprintf(out, "Usage: %s [options]%s%s\n\n", flags->program ? flags->program : "",
            flags->usage ? " " : "", flags->usage ? flags->usage : "");
    size_t n, width = 0;
    const act_flag **list = sorted_flags(flags, true, &n);
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(list[k]->name) + (list[k]->type == ACT_FLAG_BOOL ? 9 : 10);
        if (len > width) width = len;
    }
    for (size_t k = 0; k < n; k++) {
        const act_flag *f = list[k];
        bool boolean = f->type == ACT_FLAG_BOOL;
        int len = fprintf(out, "  --%s%s%s", boolean ? "[no-]" : "", f->name,
                          boolean ? "" : "=VALUE");
        pad(out, width + HELP_PAD - (size_t)(len > 0 ? len : 0));
        print_flag_help(out, f, width + HELP_PAD);
    }
    free(list);
}

/* The built-ins show as Mesos shows them (a running program was not asked for them). */
void act_flags_json(const act_flags *flags, act_json *j)
{
    size_t n;
    const act_flag **list = sorted_flags(flags, true, &n);
    act_json_object_begin(j);
    for (size_t k = 0; k < n; k++) {
        int at = find_flag(flags, list[k]->name);
        if (at < 0) { /* a built-in */
            act_json_kv_string(j, list[k]->name, "false");
            continue;
        }
        size_t i = (size_t)at;
        if (!has_value(flags, i)) continue;
        flag_value v;
        read_field(flags, i, &v);
        char text[128];
        if (!is_text(list[k]->type)) format_value(list[k]->type, &v, text, sizeof text);
        act_json_kv_string(j, list[k]->name, is_text(list[k]->type) ? v.s : text);
    }
    act_json_object_end(j);
    free(list);
}

char *act_flags_format(const act_flags *flags, const char *name, char *buf, size_t n)
{
    int i = find_flag(flags, name);
    if (i < 0 || !has_value(flags, (size_t)i)) return NULL;
    flag_value v;
    read_field(flags, (size_t)i, &v);
    if (n > 0) format_value(flags->table[i].type, &v, buf, n);
    return buf;
}
