/*
 * test_flags.c - the flag table: defaults < environment < command line, every value type,
 * boolean shorthands, file:// values, validators, positional arguments, the errors an
 * operator sees, --help / --version, and the text /master/flags renders.
 */
#include "actor/actor.h"

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define ENV_PREFIX "ACTTEST_"

typedef struct test_values {
    char *work_dir;
    char *cluster;
    bool quiet;
    bool authenticate;
    int64_t port;
    double weight;
    double allocation_interval;
    uint64_t max_bytes;
} test_values;

static int validate_port(const void *value, char *err, size_t n)
{
    int64_t port = *(const int64_t *)value;
    if (port >= 1 && port <= 65535) return 0;
    snprintf(err, n, "port must be in 1..65535");
    return 1;
}

static const act_flag table[] = {
    {"work_dir", ACT_FLAG_STRING, NULL, "Where to store the registry.",
     offsetof(test_values, work_dir), NULL, NULL},
    {"cluster", ACT_FLAG_STRING, "local", "Human readable name for the cluster.",
     offsetof(test_values, cluster), NULL, NULL},
    {"quiet", ACT_FLAG_BOOL, "false", "Disable logging to stderr.", offsetof(test_values, quiet), NULL, NULL},
    {"authenticate", ACT_FLAG_BOOL, "true", "Only authenticated frameworks may register.",
     offsetof(test_values, authenticate), NULL, NULL},
    {"port", ACT_FLAG_INT, "5050", "Port to listen on.", offsetof(test_values, port), validate_port, NULL},
    {"weight", ACT_FLAG_DOUBLE, "1.5", "Share weight.", offsetof(test_values, weight), NULL, NULL},
    {"allocation_interval", ACT_FLAG_DURATION, "60secs", "Time between allocations.",
     offsetof(test_values, allocation_interval), NULL, NULL},
    {"max_bytes", ACT_FLAG_BYTES, "64MB", "Largest message.", offsetof(test_values, max_bytes), NULL, NULL},
};

#define NFLAGS (sizeof table / sizeof table[0])

static test_values V;
static act_flags F;
static char err[512];

static void setup(void)
{
    memset(&V, 0xab, sizeof V); /* load must not read what the struct held before */
    F = (act_flags){.program = "mesos-test", .version = "mesos 0.22.0", .table = table,
                    .count = NFLAGS, .values = &V};
    err[0] = '\0';
}

static void teardown(void)
{
    act_flags_free(&F);
    static const char *const names[] = {"work_dir", "WORK_DIR", "port", "cluster", "bogus",
                                        "quiet"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, ENV_PREFIX "%s", names[i]);
        unsetenv(key);
    }
}

/* Loads argv (NULL-terminated list after the program name) with the test prefix. */
#define LOAD(...) load_args((char *[]){"mesos-test", __VA_ARGS__, NULL}, NULL)

static int load_args(char **argv, int *npositional)
{
    int argc = 0;
    while (argv[argc]) argc++;
    return act_flags_load(&F, argc, argv, npositional, ENV_PREFIX, err, sizeof err);
}

static int flag_index(const char *name)
{
    for (size_t i = 0; i < NFLAGS; i++)
        if (strcmp(table[i].name, name) == 0) return (int)i;
    return -1;
}

/* Writes text to a fresh temporary file and returns its path in buf. */
static const char *temp_file(const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/test_flags.XXXXXX");
    int fd = mkstemp(buf);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return buf;
}

START_TEST(test_defaults_fill_every_field_and_nothing_is_given)
{
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_ptr_null(V.work_dir);
    ck_assert_str_eq(V.cluster, "local");
    ck_assert(!V.quiet);
    ck_assert(V.authenticate);
    ck_assert_int_eq(V.port, 5050);
    ck_assert_double_eq(V.weight, 1.5);
    ck_assert_double_eq(V.allocation_interval, 60);
    ck_assert_uint_eq(V.max_bytes, 64ULL << 20);
    for (size_t i = 0; i < NFLAGS; i++) ck_assert(!F.given[i]);
}
END_TEST

START_TEST(test_command_line_sets_every_type)
{
    ck_assert_int_eq(LOAD("--work_dir=/var/lib/mesos", "--cluster=prod", "--quiet",
                          "--port=5051", "--weight=2.25", "--allocation_interval=5mins",
                          "--max_bytes=1GB"),
                     0);
    ck_assert_str_eq(V.work_dir, "/var/lib/mesos");
    ck_assert_str_eq(V.cluster, "prod");
    ck_assert(V.quiet);
    ck_assert_int_eq(V.port, 5051);
    ck_assert_double_eq(V.weight, 2.25);
    ck_assert_double_eq(V.allocation_interval, 300);
    ck_assert_uint_eq(V.max_bytes, 1ULL << 30);
}
END_TEST

START_TEST(test_environment_sets_flag_with_prefix_and_name_case_kept)
{
    setenv(ENV_PREFIX "work_dir", "/from/env", 1);
    setenv(ENV_PREFIX "port", "6000", 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_str_eq(V.work_dir, "/from/env");
    ck_assert_int_eq(V.port, 6000);
    ck_assert(F.given[flag_index("work_dir")]);
    ck_assert(F.given[flag_index("port")]);
    ck_assert(!F.given[flag_index("cluster")]);
}
END_TEST

START_TEST(test_environment_name_in_upper_case_is_accepted_exact_case_wins)
{
    setenv(ENV_PREFIX "WORK_DIR", "/upper", 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_str_eq(V.work_dir, "/upper");
    setenv(ENV_PREFIX "work_dir", "/exact", 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_str_eq(V.work_dir, "/exact");
}
END_TEST

START_TEST(test_command_line_overrides_environment)
{
    setenv(ENV_PREFIX "port", "6000", 1);
    setenv(ENV_PREFIX "cluster", "env-cluster", 1);
    ck_assert_int_eq(LOAD("--port=7000"), 0);
    ck_assert_int_eq(V.port, 7000);
    ck_assert_str_eq(V.cluster, "env-cluster");
}
END_TEST

START_TEST(test_no_env_prefix_skips_the_environment)
{
    setenv(ENV_PREFIX "port", "6000", 1);
    char *argv[] = {"mesos-test", NULL};
    ck_assert_int_eq(act_flags_load(&F, 1, argv, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(V.port, 5050);
}
END_TEST

START_TEST(test_unknown_flag_is_an_error_naming_it)
{
    ck_assert_int_eq(LOAD("--prot=5051"), -EINVAL);
    ck_assert_str_eq(err, "Unknown flag 'prot'");
    ck_assert_int_eq(LOAD("--no-such"), -EINVAL);
    ck_assert_str_eq(err, "Unknown flag 'no-such'");
}
END_TEST

START_TEST(test_unknown_environment_variable_with_prefix_is_ignored)
{
    setenv(ENV_PREFIX "bogus", "1", 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
}
END_TEST

START_TEST(test_bad_value_error_names_flag_and_reason)
{
    ck_assert_int_eq(LOAD("--allocation_interval=5minutes"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'allocation_interval': invalid duration '5minutes'");
    ck_assert_int_eq(LOAD("--port=12abc"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': invalid integer '12abc'");
    ck_assert_int_eq(LOAD("--port=99999999999999999999"), -EINVAL);
    ck_assert_int_eq(LOAD("--weight=nan"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'weight': invalid number 'nan'");
    ck_assert_int_eq(LOAD("--weight=0x10"), -EINVAL);
    ck_assert_int_eq(LOAD("--weight= 1"), -EINVAL);
    ck_assert_int_eq(LOAD("--max_bytes=1.5GB"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'max_bytes': invalid bytes '1.5GB'");
}
END_TEST

START_TEST(test_bad_environment_value_is_an_error_naming_the_flag)
{
    setenv(ENV_PREFIX "port", "http", 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': invalid integer 'http'");
}
END_TEST

typedef struct bool_case {
    const char *arg;
    const char *flag;
    bool expect;
} bool_case;

START_TEST(test_boolean_accepts_every_form)
{
    static const bool_case cases[] = {
        {"--quiet", "quiet", true},
        {"--quiet=true", "quiet", true},
        {"--quiet=1", "quiet", true},
        {"--quiet=", "quiet", true},
        {"--authenticate=false", "authenticate", false},
        {"--authenticate=0", "authenticate", false},
        {"--no-authenticate", "authenticate", false},
        {"--no-authenticate=", "authenticate", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(LOAD((char *)cases[i].arg) == 0, "%s: %s", cases[i].arg, err);
        bool got = strcmp(cases[i].flag, "quiet") == 0 ? V.quiet : V.authenticate;
        ck_assert_msg(got == cases[i].expect, "%s", cases[i].arg);
        ck_assert(F.given[flag_index(cases[i].flag)]);
    }
}
END_TEST

START_TEST(test_boolean_rejects_other_forms)
{
    ck_assert_int_eq(LOAD("--quiet=yes"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'quiet': invalid boolean 'yes'");
    ck_assert_int_eq(LOAD("--quiet=TRUE"), -EINVAL);
    ck_assert_int_eq(LOAD("--no-quiet=true"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'quiet': '--no-quiet' takes no value");
    ck_assert_int_eq(LOAD("--no-port"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': '--no-port' given for a non-boolean flag");
}
END_TEST

START_TEST(test_non_boolean_flag_needs_an_equals_value)
{
    ck_assert_int_eq(LOAD("--port", "5051"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': missing value");
    ck_assert_int_eq(LOAD("--cluster="), 0);
    ck_assert_str_eq(V.cluster, "");
}
END_TEST

START_TEST(test_flag_names_on_the_command_line_ignore_case)
{
    ck_assert_int_eq(LOAD("--PORT=6060", "--No-Authenticate"), 0);
    ck_assert_int_eq(V.port, 6060);
    ck_assert(!V.authenticate);
}
END_TEST

START_TEST(test_file_value_is_read_without_trailing_newline)
{
    char path1[64], path2[64], arg1[128], arg2[128];
    temp_file("/srv/mesos\n", path1, sizeof path1);
    temp_file("6060\r\n", path2, sizeof path2);
    snprintf(arg1, sizeof arg1, "--work_dir=file://%s", path1);
    snprintf(arg2, sizeof arg2, "--port=file://%s", path2);
    ck_assert_int_eq(LOAD(arg1, arg2), 0);
    ck_assert_str_eq(V.work_dir, "/srv/mesos");
    ck_assert_int_eq(V.port, 6060);
    unlink(path1);
    unlink(path2);
}
END_TEST

START_TEST(test_file_value_works_from_the_environment)
{
    char path[64], value[128];
    temp_file("zk://10.0.0.1:2181/mesos\n", path, sizeof path);
    snprintf(value, sizeof value, "file://%s", path);
    setenv(ENV_PREFIX "cluster", value, 1);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_str_eq(V.cluster, "zk://10.0.0.1:2181/mesos");
    unlink(path);
}
END_TEST

START_TEST(test_unreadable_file_value_is_an_error_naming_the_flag)
{
    ck_assert_int_eq(LOAD("--work_dir=file:///nonexistent/dir/value"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'work_dir': cannot read file "
                          "'/nonexistent/dir/value': No such file or directory");
    ck_assert_int_eq(LOAD("--work_dir=file:///tmp"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'work_dir': cannot read file '/tmp': "
                          "not a regular file");
}
END_TEST

START_TEST(test_duplicate_flags_last_one_wins)
{
    ck_assert_int_eq(LOAD("--port=1", "--port=2", "--quiet", "--no-quiet"), 0);
    ck_assert_int_eq(V.port, 2);
    ck_assert(!V.quiet);
}
END_TEST

START_TEST(test_validator_rejects_value_with_its_reason)
{
    ck_assert_int_eq(LOAD("--port=70000"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': port must be in 1..65535");
}
END_TEST

START_TEST(test_validators_run_after_all_sources)
{
    /* The environment's bad port is overridden before validation, so it is never seen. */
    setenv(ENV_PREFIX "port", "0", 1);
    ck_assert_int_eq(LOAD("--port=5051"), 0);
    ck_assert_int_eq(V.port, 5051);
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': port must be in 1..65535");
}
END_TEST

START_TEST(test_positional_arguments_move_to_the_front_in_order)
{
    char *argv[] = {"mesos-test", "a", "--port=6000", "b", "--", "--quiet", "d", NULL};
    int n = -1;
    ck_assert_int_eq(load_args(argv, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(argv[1], "a");
    ck_assert_str_eq(argv[2], "b");
    ck_assert_str_eq(argv[3], "--quiet");
    ck_assert_str_eq(argv[4], "d");
    ck_assert_int_eq(V.port, 6000);
    ck_assert(!V.quiet); /* after "--" it is an argument, not a flag */
}
END_TEST

START_TEST(test_positional_arguments_are_an_error_when_not_expected)
{
    ck_assert_int_eq(LOAD("--port=6000", "master"), -EINVAL);
    ck_assert_str_eq(err, "Unexpected argument 'master'");
    ck_assert_int_eq(LOAD("-port=6000"), -EINVAL);
    ck_assert_str_eq(err, "Unexpected argument '-port=6000'");
}
END_TEST

/* Runs act_flags_load with stdout captured into out (NUL-terminated). */
static int load_capturing_stdout(char **argv, char *out, size_t n)
{
    char path[64] = "/tmp/test_flags_out.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    int rc = load_args(argv, NULL);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ssize_t got = pread(fd, out, n - 1, 0);
    out[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

START_TEST(test_help_prints_every_flag_with_its_default)
{
    static char out[8192];
    /* --help wins over errors elsewhere on the line: the operator asked how to fix them. */
    int rc = load_capturing_stdout((char *[]){"mesos-test", "--bogus", "--help", NULL}, out,
                                   sizeof out);
    ck_assert_int_eq(rc, ACT_FLAGS_HELP);
    ck_assert_msg(strncmp(out, "Usage: mesos-test [options]\n\n", 29) == 0, "%s", out);
    static const char *const expected[] = {
        "  --allocation_interval=VALUE     Time between allocations. (default: 1mins)\n",
        "  --[no-]authenticate             Only authenticated frameworks may register.\n"
        "                                  (default: true)\n",
        "  --cluster=VALUE                 Human readable name for the cluster.\n"
        "                                  (default: local)\n",
        "  --[no-]help                     Prints this help message (default: false)\n",
        "  --max_bytes=VALUE               Largest message. (default: 64MB)\n",
        "  --port=VALUE                    Port to listen on. (default: 5050)\n",
        "  --[no-]quiet                    Disable logging to stderr. (default: false)\n",
        "  --[no-]version                  Prints the version and exits (default: false)\n",
        "  --weight=VALUE                  Share weight. (default: 1.5)\n",
        "  --work_dir=VALUE                Where to store the registry.\n",
    };
    const char *at = out;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const char *hit = strstr(at, expected[i]);
        ck_assert_msg(hit, "missing or out of order: %s\nin:\n%s", expected[i], out);
        at = hit;
    }
}
END_TEST

START_TEST(test_help_wraps_long_help_text)
{
    static const act_flag long_table[] = {
        {"roles", ACT_FLAG_STRING, "*",
         "A comma-separated list of the allocation roles that frameworks in this cluster may "
         "belong to. This flag is deprecated; roles are implicitly accepted and this list will "
         "be removed in a future release of the master.\nA second paragraph.",
         0, NULL, NULL},
    };
    char *roles = NULL;
    act_flags f = {.program = "m", .table = long_table, .count = 1, .values = &roles};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    act_flags_usage(&f, out);
    fclose(out);
    size_t line = 0;
    for (const char *p = text; *p; p++) {
        line = *p == '\n' ? 0 : line + 1;
        ck_assert_msg(line <= 80, "line longer than 80 columns:\n%s", text);
    }
    /* The help column is the widest flag column ("  --[no-]version") plus five spaces. */
    ck_assert_ptr_nonnull(
        strstr(text, "  --roles=VALUE      A comma-separated list of the allocation roles that\n"
                     "                     frameworks in this cluster may belong to."));
    ck_assert_ptr_nonnull(
        strstr(text, "\n                     A second paragraph. (default: *)\n"));
    free(text);
}
END_TEST

START_TEST(test_version_prints_the_version_once)
{
    char out[256];
    int rc = load_capturing_stdout((char *[]){"mesos-test", "--version", NULL}, out, sizeof out);
    ck_assert_int_eq(rc, ACT_FLAGS_VERSION);
    ck_assert_str_eq(out, "mesos 0.22.0\n"); /* as Mesos: no program name before it */
}
END_TEST

START_TEST(test_help_false_is_no_request_for_help)
{
    char out[256];
    ck_assert_int_eq(load_capturing_stdout((char *[]){"mesos-test", "--help=false", NULL}, out,
                                           sizeof out),
                     0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(LOAD("--help=maybe"), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'help': invalid boolean 'maybe'");
}
END_TEST

START_TEST(test_json_renders_every_flag_with_a_value_as_text)
{
    ck_assert_int_eq(LOAD("--work_dir=/tmp/mesos", "--weight=0.1"), 0);
    act_buf buf = {0};
    act_json j;
    act_json_init(&j, &buf);
    act_flags_json(&F, &j);
    ck_assert_str_eq(buf.data, "{\"allocation_interval\":\"1mins\",\"authenticate\":\"true\","
                               "\"cluster\":\"local\",\"help\":\"false\",\"max_bytes\":\"64MB\","
                               "\"port\":\"5050\",\"quiet\":\"false\",\"version\":\"false\","
                               "\"weight\":\"0.1\",\"work_dir\":\"/tmp/mesos\"}");
    act_buf_free(&buf);
}
END_TEST

START_TEST(test_json_leaves_out_unset_flags)
{
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    act_buf buf = {0};
    act_json j;
    act_json_init(&j, &buf);
    act_flags_json(&F, &j);
    ck_assert_ptr_null(strstr(buf.data, "work_dir"));
    act_buf_free(&buf);
}
END_TEST

START_TEST(test_format_gives_mesos_text_or_null)
{
    ck_assert_int_eq(LOAD("--allocation_interval=1.5secs", "--max_bytes=1536KB"), 0);
    char buf[64];
    ck_assert_str_eq(act_flags_format(&F, "allocation_interval", buf, sizeof buf), "1500ms");
    ck_assert_str_eq(act_flags_format(&F, "max_bytes", buf, sizeof buf), "1536KB");
    ck_assert_str_eq(act_flags_format(&F, "authenticate", buf, sizeof buf), "true");
    ck_assert_ptr_null(act_flags_format(&F, "work_dir", buf, sizeof buf));
    ck_assert_ptr_null(act_flags_format(&F, "no_such_flag", buf, sizeof buf));
}
END_TEST

START_TEST(test_set_applies_a_value_only_if_it_validates)
{
    ck_assert_int_eq(load_args((char *[]){"mesos-test", NULL}, NULL), 0);
    ck_assert_int_eq(act_flags_set(&F, "port", "70000", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "Failed to load flag 'port': port must be in 1..65535");
    ck_assert_int_eq(V.port, 5050);
    ck_assert(!F.given[flag_index("port")]);
    ck_assert_int_eq(act_flags_set(&F, "port", "6000", err, sizeof err), 0);
    ck_assert_int_eq(V.port, 6000);
    ck_assert(F.given[flag_index("port")]);
    ck_assert_int_eq(act_flags_set(&F, "cluster", "a", err, sizeof err), 0);
    ck_assert_int_eq(act_flags_set(&F, "cluster", "b", err, sizeof err), 0);
    ck_assert_str_eq(V.cluster, "b");
    ck_assert_int_eq(act_flags_set(&F, "nope", "1", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "Unknown flag 'nope'");
}
END_TEST

START_TEST(test_set_before_load_starts_from_defaults)
{
    ck_assert_int_eq(act_flags_set(&F, "quiet", "true", err, sizeof err), 0);
    ck_assert(V.quiet);
    ck_assert_str_eq(V.cluster, "local");
}
END_TEST

START_TEST(test_loading_again_replaces_strings_without_leaking)
{
    ck_assert_int_eq(LOAD("--work_dir=/a", "--cluster=one"), 0);
    ck_assert_int_eq(LOAD("--work_dir=/b"), 0);
    ck_assert_str_eq(V.work_dir, "/b");
    ck_assert_str_eq(V.cluster, "local");
    ck_assert(!F.given[flag_index("cluster")]);
}
END_TEST

START_TEST(test_bad_default_is_reported)
{
    static const act_flag bad_table[] = {
        {"interval", ACT_FLAG_DURATION, "5", "No unit.", 0, NULL, NULL},
    };
    double interval;
    act_flags f = {.program = "m", .table = bad_table, .count = 1, .values = &interval};
    char *argv[] = {"m", NULL};
    ck_assert_int_eq(act_flags_load(&f, 1, argv, NULL, NULL, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "Bad default for flag 'interval': invalid duration '5'");
    act_flags_free(&f);
}
END_TEST

START_TEST(test_free_is_safe_on_a_set_never_loaded)
{
    act_flags_free(&F);
    act_flags_free(&F);
}
END_TEST

/* A path flag names a file the program reads itself (a whitelist it watches): file:// and a
 * bare path give the same path, and nothing is read at load. */
START_TEST(test_a_path_flag_keeps_the_path_of_a_file_url)
{
    typedef struct { char *whitelist; } path_values;
    static const act_flag paths[] = {
        {"whitelist", ACT_FLAG_PATH, NULL, "Slaves to offer.", offsetof(path_values, whitelist),
         NULL, NULL}};
    path_values pv;
    act_flags pf = {.program = "mesos-test", .table = paths, .count = 1, .values = &pv};
    char *argv[] = {"mesos-test", "--whitelist=file:///nonexistent/hosts", NULL};
    ck_assert_int_eq(act_flags_load(&pf, 2, argv, NULL, NULL, err, sizeof err), 0);
    ck_assert_str_eq(pv.whitelist, "/nonexistent/hosts");
    char buf[64];
    ck_assert_str_eq(act_flags_format(&pf, "whitelist", buf, sizeof buf), "/nonexistent/hosts");
    act_flags_free(&pf);
    char *bare[] = {"mesos-test", "--whitelist=/etc/hosts.allow", NULL};
    ck_assert_int_eq(act_flags_load(&pf, 2, bare, NULL, NULL, err, sizeof err), 0);
    ck_assert_str_eq(pv.whitelist, "/etc/hosts.allow");
    act_flags_free(&pf);
    char *empty[] = {"mesos-test", "--whitelist=file://", NULL};
    ck_assert_int_eq(act_flags_load(&pf, 2, empty, NULL, NULL, err, sizeof err), -EINVAL);
    ck_assert(strstr(err, "whitelist"));
    act_flags_free(&pf);
}
END_TEST

/* Flags Mesos knows whose feature is not built: the default passes, anything else is refused
 * naming the flag and the reason; --help says so. */
START_TEST(test_unbuilt_flags_take_only_their_default)
{
    static const act_flag unbuilt_table[] = {
        {"acls", ACT_FLAG_STRING, NULL, "ACLs (JSON).", offsetof(test_values, work_dir), NULL,
         "ACLs are not in this build yet"},
        {"authenticate", ACT_FLAG_BOOL, "false", "Authenticate frameworks.",
         offsetof(test_values, authenticate), NULL, "authentication is not in this build yet"},
        {"docker_stop_timeout", ACT_FLAG_DURATION, "0secs", "Docker stop timeout.",
         offsetof(test_values, allocation_interval), NULL, "Docker is not in this build yet"},
    };
    F.table = unbuilt_table;
    F.count = 3;
    ck_assert_int_eq(LOAD("--authenticate=false", "--docker_stop_timeout=0ns"), 0);
    ck_assert_int_eq(LOAD("--no-authenticate"), 0);
    ck_assert_int_eq(LOAD("--authenticate"), -ENOTSUP);
    ck_assert_str_eq(err, "Failed to load flag 'authenticate': authentication is not in this "
                          "build yet");
    ck_assert_int_eq(LOAD("--acls={}"), -ENOTSUP);
    ck_assert_str_eq(err, "Failed to load flag 'acls': ACLs are not in this build yet");
    ck_assert_int_eq(LOAD("--docker_stop_timeout=1secs"), -ENOTSUP);
    static char out[4096];
    ck_assert_int_eq(load_capturing_stdout((char *[]){"mesos-test", "--help", NULL}, out,
                                           sizeof out),
                     ACT_FLAGS_HELP);
    ck_assert_msg(strstr(out, "ACLs (JSON). ACLs are not in this build yet.\n"), "%s", out);
    act_flags_free(&F); /* before the fixture's table comes back */
    F.table = table;
    F.count = NFLAGS;
}
END_TEST

Suite *flags_suite(void);

Suite *flags_suite(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("flags");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_fill_every_field_and_nothing_is_given);
    tcase_add_test(tc, test_command_line_sets_every_type);
    tcase_add_test(tc, test_environment_sets_flag_with_prefix_and_name_case_kept);
    tcase_add_test(tc, test_environment_name_in_upper_case_is_accepted_exact_case_wins);
    tcase_add_test(tc, test_command_line_overrides_environment);
    tcase_add_test(tc, test_no_env_prefix_skips_the_environment);
    tcase_add_test(tc, test_unknown_flag_is_an_error_naming_it);
    tcase_add_test(tc, test_unknown_environment_variable_with_prefix_is_ignored);
    tcase_add_test(tc, test_bad_value_error_names_flag_and_reason);
    tcase_add_test(tc, test_bad_environment_value_is_an_error_naming_the_flag);
    tcase_add_test(tc, test_boolean_accepts_every_form);
    tcase_add_test(tc, test_boolean_rejects_other_forms);
    tcase_add_test(tc, test_non_boolean_flag_needs_an_equals_value);
    tcase_add_test(tc, test_flag_names_on_the_command_line_ignore_case);
    tcase_add_test(tc, test_file_value_is_read_without_trailing_newline);
    tcase_add_test(tc, test_file_value_works_from_the_environment);
    tcase_add_test(tc, test_unreadable_file_value_is_an_error_naming_the_flag);
    tcase_add_test(tc, test_duplicate_flags_last_one_wins);
    tcase_add_test(tc, test_validator_rejects_value_with_its_reason);
    tcase_add_test(tc, test_validators_run_after_all_sources);
    tcase_add_test(tc, test_positional_arguments_move_to_the_front_in_order);
    tcase_add_test(tc, test_positional_arguments_are_an_error_when_not_expected);
    tcase_add_test(tc, test_help_prints_every_flag_with_its_default);
    tcase_add_test(tc, test_help_wraps_long_help_text);
    tcase_add_test(tc, test_version_prints_the_version_once);
    tcase_add_test(tc, test_help_false_is_no_request_for_help);
    tcase_add_test(tc, test_json_renders_every_flag_with_a_value_as_text);
    tcase_add_test(tc, test_json_leaves_out_unset_flags);
    tcase_add_test(tc, test_format_gives_mesos_text_or_null);
    tcase_add_test(tc, test_set_applies_a_value_only_if_it_validates);
    tcase_add_test(tc, test_set_before_load_starts_from_defaults);
    tcase_add_test(tc, test_loading_again_replaces_strings_without_leaking);
    tcase_add_test(tc, test_bad_default_is_reported);
    tcase_add_test(tc, test_free_is_safe_on_a_set_never_loaded);
    tcase_add_test(tc, test_a_path_flag_keeps_the_path_of_a_file_url);
    tcase_add_test(tc, test_unbuilt_flags_take_only_their_default);
    suite_add_tcase(s, tc);
    return s;
}
