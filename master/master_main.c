/*
 * master_main.c - the mesos-master binary: one flag table (parsed from MESOS_<flag> and
 * --flag=value, printed by --help, served at /master/flags), logging, the runtime with a
 * second loop for the allocator and registrar, and a clean stop on SIGINT/SIGTERM. A master
 * that gives up (lost leadership, a registry it cannot write) exits 1, as Mesos does, so a
 * supervisor restarts it as a standby. Every Mesos 0.22 master flag is in the table; those of
 * features this build does not have (modules, hooks, the network isolator's limit, other
 * authenticators) take their default only and refuse any other value, naming the flag.
 * Security comes from the flags too: credentials, ACLs, rate limits and the whitelist are read
 * here and handed to the master.
 */
#include "master/master_int.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* How long the master waits at exit for its ZooKeeper sessions to close (their znodes go). */
#define ZK_DRAIN_SECS 5

typedef struct master_flags {
    char *ip, *hostname, *advertise_ip, *zk, *work_dir, *registry, *cluster, *roles, *weights;
    char *whitelist, *credentials, *acls, *rate_limits, *webui_dir, *log_dir, *logging_level;
    char *external_log_file, *recovery_slave_removal_limit, *slave_removal_rate_limit;
    char *user_sorter, *framework_sorter, *modules, *authenticators, *hooks;
    int64_t port, advertise_port, quorum, max_slave_ping_timeouts, max_completed_frameworks;
    int64_t max_completed_tasks_per_framework, max_executors_per_slave;
    int64_t max_queued_messages_per_connection;
    double zk_session_timeout, registry_store_timeout, registry_fetch_timeout;
    double allocation_interval, offer_timeout, slave_ping_timeout, slave_reregister_timeout;
    double logbufsecs;
    bool authenticate, authenticate_slaves, authenticate_http, quiet, root_submissions;
    bool registry_strict, log_auto_initialize, initialize_driver_logging;
} master_flags;

static int validate_sorter(const void *value, char *err, size_t n)
{
    const char *v = *(char *const *)value;
    if (strcmp(v, "drf") == 0) return 0;
    snprintf(err, n, "'%s' is not a sorter: Mesos 0.22 and this build allocate by dominant "
             "resource fairness only ('drf')", v);
    return 1;
}

#define F(name, type, def, help)                                                              \
    ACT_FLAG_ROW(master_flags, name, type, def, help, NULL, NULL)
#define V(name, type, def, help, validate)                                                    \
    ACT_FLAG_ROW(master_flags, name, type, def, help, validate, NULL)
/* A Mesos flag whose feature is not built yet: its default only (act_flag.unbuilt). */
#define U(name, type, def, help, why)                                                         \
    ACT_FLAG_ROW(master_flags, name, type, def, help, NULL, why)


static const act_flag flag_table[] = {
    F(ip, STRING, NULL, "IP address to listen on (default: LIBPROCESS_IP, else 127.0.0.1)."),
    F(port, INT, "5050", "Port to listen on."),
    F(hostname, STRING, NULL, "The hostname the master advertises (in ZooKeeper, state.json "
      "and /master/redirect). Default: the name the bound IP resolves to, else the "
      "machine's host name."),
    F(advertise_ip, STRING, NULL, "IP address others should use to reach this master."),
    F(advertise_port, INT, NULL, "Port others should use to reach this master."),
    F(zk, STRING, NULL, "ZooKeeper URL for leader election and the registry: "
      "zk://[user:pass@]host:port[,host:port...]/path (or file:///path holding it). Without "
      "it this master leads alone."),
    F(zk_session_timeout, DURATION, "10secs", "ZooKeeper session timeout."),
    F(quorum, INT, NULL, "The ZooKeeper majority the registry relies on (with --zk only): "
      "checked against the ensemble's size."),
    F(work_dir, STRING, NULL, "Where the master keeps its registry file. Required unless "
      "--zk or --registry=in_memory."),
    F(registry, STRING, "replicated_log", "Registry persistence: 'replicated_log' (in "
      "ZooKeeper with --zk, else a file in --work_dir; 'replicated' is the same) or "
      "'in_memory' (for testing)."),
    U(registry_strict, BOOL, "false", "Whether the master acts on the registry (refusing "
      "slaves it does not hold).", "a strict registry is not in this build yet"),
    F(registry_store_timeout, DURATION, "5secs", "Time to wait for a registry write."),
    F(registry_fetch_timeout, DURATION, "1mins", "Time to wait for the registry on recovery."),
    U(log_auto_initialize, BOOL, "true", "Whether the replicated log of the registry is "
      "initialized automatically.", "the registry is a file or in ZooKeeper here, never a "
      "replicated log to initialize by hand"),
    F(cluster, STRING, NULL, "Human readable name for the cluster, shown in the web UI."),
    F(roles, STRING, NULL, "Comma-separated list of the roles frameworks may register with "
      "(default: any role)."),
    F(weights, STRING, NULL, "Comma-separated role=weight pairs, e.g. dev=10,prod=30 "
      "(default weight 1)."),
    F(whitelist, PATH, NULL, "A file of the slave hostnames to offer resources of, one per "
      "line; re-read when it changes (checked every second). /path or file:///path."),
    F(credentials, PATH, NULL, "A file of the principals and secrets frameworks and slaves "
      "authenticate with (CRAM-MD5): 'principal secret' per line, or JSON {\"credentials\": "
      "[{\"principal\": ..., \"secret\": ...}]}; /path or file:///path."),
    F(authenticate, BOOL, "false", "Only authenticated frameworks may register (needs "
      "--credentials)."),
    F(authenticate_slaves, BOOL, "false", "Only authenticated slaves may register (needs "
      "--credentials)."),
    F(authenticate_http, BOOL, "false", "The endpoints that change state or show task data "
      "(/master/shutdown, /logging/toggle) need HTTP Basic credentials from --credentials "
      "(later Mesos' flag)."),
    F(acls, STRING, NULL, "Authorization: ACLs as JSON (Mesos' ACLs message: "
      "register_frameworks, run_tasks, shutdown_frameworks, permissive), or a file holding "
      "them (/path or file:///path)."),
    F(rate_limits, STRING, NULL, "Framework rate limiting: JSON (Mesos' RateLimits message: "
      "limits [{principal, qps, capacity}], aggregate_default_qps, "
      "aggregate_default_capacity), or a file holding it (/path or file:///path)."),
    F(root_submissions, BOOL, "true", "Whether frameworks may run as user root."),
    V(user_sorter, STRING, "drf", "Policy for allocating between roles: drf (dominant "
      "resource fairness).", validate_sorter),
    V(framework_sorter, STRING, "drf", "Policy for allocating between the frameworks of a "
      "role: drf.", validate_sorter),
    U(authenticators, STRING, "crammd5", "Authenticator implementation.",
      "only the built-in 'crammd5' authenticator is in this build"),
    U(modules, STRING, NULL, "Modules to load (JSON).", "modules are not in this build yet"),
    U(hooks, STRING, NULL, "Hook modules to install.", "hooks are not in this build yet"),
    U(max_executors_per_slave, INT, NULL, "Most executors a slave may run (with the network "
      "isolator).", "the network isolator is not in this build yet"),
    F(allocation_interval, DURATION, "1secs", "Time between periodic allocation cycles."),
    F(offer_timeout, DURATION, NULL, "Time after which an unanswered offer is rescinded "
      "(default: never)."),
    F(slave_ping_timeout, DURATION, "15secs", "Time the master waits for a slave's pong."),
    F(max_slave_ping_timeouts, INT, "5", "Missed pongs after which a slave is removed."),
    F(slave_removal_rate_limit, STRING, NULL, "Highest rate at which slaves that fail their "
      "health checks are removed, as <number of slaves>/<duration> (1/10mins, 2/3hrs); one "
      "that answers a ping before its turn stays. Default: at once."),
    F(slave_reregister_timeout, DURATION, "10mins", "Time slaves have to re-register after a "
      "master failover or a disconnection."),
    F(recovery_slave_removal_limit, STRING, "100%", "Largest share of registered slaves that "
      "may be removed for not re-registering after a failover."),
    F(max_completed_frameworks, INT, "50", "Completed frameworks kept for the endpoints."),
    F(max_completed_tasks_per_framework, INT, "1000", "Completed tasks kept per framework."),
    F(max_queued_messages_per_connection, INT, "5000", "Messages from one connection (a "
      "framework's or a slave's process) that may wait unhandled in the master: beyond, the "
      "master stops reading that connection until half of them are handled, so a sender "
      "faster than the master is slowed by TCP and loses nothing, and the master's queue and "
      "memory stay bounded (runtime/connections_throttled counts it). 0: no bound."),
    F(webui_dir, STRING, NULL, "Directory of the web UI's files (index.html and static/) "
      "(default: share/mesos/webui beside the binary's directory, where make install and the "
      "package put it)."),
    F(log_dir, STRING, NULL, "Directory for log files (default: stderr only); the INFO file "
      "is served as /master/log (the web UI's LOG link)."),
    F(logging_level, STRING, "INFO", "Lowest level logged: INFO, WARNING or ERROR."),
    F(external_log_file, STRING, NULL, "A log file written by something else (e.g. a "
      "supervisor), served as /master/log instead of --log_dir's."),
    F(quiet, BOOL, "false", "Log nothing to stderr."),
    F(logbufsecs, DOUBLE, "0", "Seconds log lines may stay buffered."),
    F(initialize_driver_logging, BOOL, "true", "Whether scheduler and executor drivers in "
      "this process set up logging (none run in the master)."),
};

/* Splits "a,b,c" into a new array (free each and the array). */
static char **split(const char *text, size_t *n)
{
    *n = 0;
    if (!text || !*text) return NULL;
    char **v = NULL, *copy = act_strdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!*tok) continue;
        v = act_realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = act_strdup(tok);
    }
    free(copy);
    return v;
}

static int parse_weights(const char *text, master_config *c, char *err, size_t errlen)
{
    size_t n;
    char **pairs = split(text, &n);
    c->weight_roles = act_calloc(n ? n : 1, sizeof(char *));
    c->weights = act_calloc(n ? n : 1, sizeof(double));
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(pairs[i], '='), *end = NULL;
        double w = eq ? strtod(eq + 1, &end) : 0;
        if (!eq || eq == pairs[i] || !end || *end || !(w > 0)) {
            snprintf(err, errlen, "Invalid --weights entry '%s' (expected role=weight, "
                     "weight > 0)", pairs[i]);
            rc = -EINVAL;
        } else {
            *eq = '\0';
            c->weight_roles[c->nweights] = act_strdup(pairs[i]);
            c->weights[c->nweights++] = w;
        }
        free(pairs[i]);
    }
    free(pairs);
    return rc;
}

static int parse_percent(const char *text, double *out, char *err, size_t errlen)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || strcmp(end, "%") != 0 || v < 0 || v > 100) {
        snprintf(err, errlen, "Invalid --recovery_slave_removal_limit '%s' (expected 0%%-100%%)",
                 text);
        return -EINVAL;
    }
    *out = v / 100.0;
    return 0;
}

static wire_msg *acls_msg, *rate_limits_msg; /* what master_config points into */

/* A JSON-valued flag as Mesos takes it: JSON text, or a file holding it named by an absolute
 * path (file:// values arrive already read). NULL, with err set, if it does not parse. */
static wire_msg *json_flag(const char *name, const char *value, const wire_desc *desc,
                           char *err, size_t errlen)
{
    act_buf file = {0};
    char why[400];
    int rc = value[0] == '/' ? act_buf_read_file(&file, value, 16u << 20) : 0;
    wire_msg *m = NULL;
    if (rc != 0)
        snprintf(err, errlen, "--%s: cannot read '%s': %s", name, value, act_strerror(rc));
    else if (wire_from_json(desc, file.data ? file.data : value,
                            file.data ? file.len : strlen(value), &m, why, sizeof why) != 0)
        snprintf(err, errlen, "--%s: %s", name, why);
    act_buf_free(&file);
    return m;
}

/* "<number of slaves>/<duration>" into the time between two removals. */
static int parse_rate(const char *text, double *interval, char *err, size_t errlen)
{
    const char *slash = strchr(text, '/');
    char *end;
    long permits = slash ? strtol(text, &end, 10) : 0;
    double secs;
    if (!slash || end != slash || permits < 1 || act_duration_parse(slash + 1, &secs) != 0 ||
        !(secs > 0)) {
        snprintf(err, errlen, "Invalid --slave_removal_rate_limit '%s' (expected <number of "
                 "slaves>/<duration>, e.g. 1/10mins)", text);
        return -EINVAL;
    }
    *interval = secs / (double)permits;
    return 0;
}

static int build_config(const master_flags *f, master_config *c, char *err, size_t errlen)
{
    master_config_default(c);
    if (strcmp(f->registry, "in_memory") != 0 && strcmp(f->registry, "replicated") != 0 &&
        strcmp(f->registry, "replicated_log") != 0)
        return snprintf(err, errlen, "Invalid --registry '%s' (expected replicated_log or "
                        "in_memory)", f->registry), -EINVAL;
    c->registry_in_memory = strcmp(f->registry, "in_memory") == 0;
    if (!c->registry_in_memory && !f->zk && !f->work_dir)
        return snprintf(err, errlen, "--work_dir is required unless --zk or "
                        "--registry=in_memory"), -EINVAL;
    if (f->zk) {
        zk_url url;
        char reason[400];
        if (zk_url_parse(f->zk, &url, reason, sizeof reason) != 0)
            return snprintf(err, errlen, "--zk: %s", reason), -EINVAL;
        zk_url_free(&url);
    }
    if (f->quorum != 0 && (!f->zk || f->quorum < 1 || f->quorum > 99))
        return snprintf(err, errlen, "--quorum must be 1..99 and needs --zk"), -EINVAL;
    c->zk = f->zk;
    c->quorum = (int)f->quorum;
    c->zk_session_timeout = f->zk_session_timeout;
    c->registry_store_timeout = f->registry_store_timeout;
    c->registry_fetch_timeout = f->registry_fetch_timeout;
    c->work_dir = f->work_dir;
    c->cluster = f->cluster;
    c->hostname = f->hostname;
    c->roles = split(f->roles, &c->nroles);
    if (f->weights && parse_weights(f->weights, c, err, errlen) != 0) return -EINVAL;
    if (parse_percent(f->recovery_slave_removal_limit, &c->recovery_slave_removal_limit, err,
                      errlen) != 0)
        return -EINVAL;
    if (f->slave_removal_rate_limit &&
        parse_rate(f->slave_removal_rate_limit, &c->slave_removal_interval, err, errlen) != 0)
        return -EINVAL;
    c->root_submissions = f->root_submissions;
    c->external_log_file = f->external_log_file;
    c->allocation_interval = f->allocation_interval;
    c->offer_timeout = f->offer_timeout;
    c->slave_ping_timeout = f->slave_ping_timeout;
    c->max_slave_ping_timeouts = (int)f->max_slave_ping_timeouts;
    c->slave_reregister_timeout = f->slave_reregister_timeout;
    c->max_completed_frameworks = (size_t)f->max_completed_frameworks;
    c->max_completed_tasks_per_framework = (size_t)f->max_completed_tasks_per_framework;
    c->allocator_loop = 1;
    c->log_dir = f->log_dir;
    c->authenticate_frameworks = f->authenticate;
    c->authenticate_slaves = f->authenticate_slaves;
    if ((f->authenticate || f->authenticate_slaves || f->authenticate_http) && !f->credentials)
        return snprintf(err, errlen, "--authenticate, --authenticate_slaves and "
                        "--authenticate_http need --credentials"), -EINVAL;
    if (f->credentials) {
        auth_credentials *creds;
        if (auth_credentials_read(f->credentials, &creds, err, errlen) != 0) return -EINVAL;
        c->credentials = creds;
    }
    c->whitelist = f->whitelist;
    if (f->acls) {
        wire_msg *acls = json_flag("acls", f->acls, WIRE_DESC(acls), err, errlen);
        if (!acls) return -EINVAL;
        c->acls = acls->root;
        acls_msg = acls;
    }
    if (f->rate_limits) {
        char why[256];
        rate_limits_msg = json_flag("rate_limits", f->rate_limits, WIRE_DESC(rate_limits), err,
                                    errlen);
        if (!rate_limits_msg) return -EINVAL;
        c->rate_limits = rate_limits_msg->root;
        if (m_rate_limits_check(c->rate_limits, why, sizeof why))
            return snprintf(err, errlen, "--rate_limits: %s", why), -EINVAL;
    }
    if (c->max_slave_ping_timeouts < 1 || f->max_completed_frameworks < 0 ||
        f->max_completed_tasks_per_framework < 0 || f->max_queued_messages_per_connection < 0)
        return snprintf(err, errlen, "Counts must not be negative (and "
                        "--max_slave_ping_timeouts at least 1)"), -EINVAL;
    return 0;
}

static void on_signal(int sig)
{
    act_stop();
}

static atomic_bool aborted;

/* The master gave up (it logged why): stop, and exit 1 so a supervisor restarts it. */
static void on_abort(const char *why)
{
    atomic_store(&aborted, true);
    act_stop();
}

static void free_config(master_config *c)
{
    wire_msg_free(acls_msg);
    wire_msg_free(rate_limits_msg);
    acls_msg = rate_limits_msg = NULL;
    auth_credentials_free((auth_credentials *)c->credentials);
    for (size_t i = 0; i < c->nroles; i++) free(c->roles[i]);
    free(c->roles);
    for (size_t i = 0; i < c->nweights; i++) free(c->weight_roles[i]);
    free(c->weight_roles);
    free(c->weights);
}

/* --webui_dir, else <dir of this binary>/../share/mesos/webui: /usr/sbin/mesos-master finds
 * /usr/share/mesos/webui and build/bin/mesos-master the copy the build stages in build/share.
 * Returns a path to free(), or NULL when the binary's own path cannot be read. */
static char *webui_dir(const master_flags *f)
{
    if (f->webui_dir) return act_strdup(f->webui_dir);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    size_t len = strlen(exe) + sizeof "/../share/mesos/webui";
    char *dir = act_malloc(len);
    snprintf(dir, len, "%s/../share/mesos/webui", exe);
    return dir;
}

static void check_webui(const char *dir)
{
    char index[PATH_MAX];
    snprintf(index, sizeof index, "%s/index.html", dir ? dir : "");
    if (!dir || access(index, R_OK) != 0)
        LOG_WARNING("No web UI at '%s' (no readable index.html): / answers 404; see "
                    "--webui_dir", dir ? dir : "(unknown)");
    else
        LOG_INFO("Serving the web UI from %s", dir);
}

int main(int argc, char **argv)
{
    master_flags f;
    act_flags flags = {"mesos-master", NULL, "mesos " MASTER_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-master --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_options lo = {"mesos-master", f.log_dir, ACT_LOG_INFO, f.quiet, f.logbufsecs, 0};
    master_config cfg;
    master_config_default(&cfg);
    if (act_log_level_parse(f.logging_level, &lo.level) != 0) {
        snprintf(err, sizeof err, "Invalid --logging_level '%s'", f.logging_level);
        rc = -EINVAL;
    } else {
        rc = build_config(&f, &cfg, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        free_config(&cfg);
        act_flags_free(&flags);
        return 1;
    }
    if ((rc = act_log_init(&lo)) != 0) {
        fprintf(stderr, "Cannot write logs to --log_dir=%s: %s\n", f.log_dir, act_strerror(rc));
        free_config(&cfg);
        act_flags_free(&flags);
        return 1;
    }
    char *webui = webui_dir(&f);
    check_webui(webui);
    cfg.webui_dir = webui;
    cfg.flags = &flags;
    cfg.abort = on_abort;
    act_pid pid;
    char host[256];
    if (act_init_daemon(f.ip, f.port, f.advertise_ip, f.advertise_port, 2) == 0) {
        act_set_max_queued_messages((size_t)f.max_queued_messages_per_connection);
        if (!cfg.hostname) cfg.hostname = act_ip_hostname(act_address().ip, host, sizeof host);
    }
    if (!act_initialized() || master_spawn(&cfg, &pid) != 0) {
        if (act_initialized()) act_shutdown();
        free(webui);
        free_config(&cfg);
        act_flags_free(&flags);
        return 1;
    }
    act_set_default_actor(MASTER_ACTOR);
    if (f.authenticate_http)
        act_http_set_authenticator(auth_credentials_check, (void *)cfg.credentials,
                                   "Mesos master");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    act_run();
    LOG_INFO(atomic_load(&aborted) ? "Master exiting (aborted)" : "Master stopping");
    act_shutdown();
    int status = atomic_load(&aborted) ? 1 : 0;
    /* our znodes go with our sessions: let the standbys know at once */
    if (!zk_drain(ZK_DRAIN_SECS)) {
        /* a close still runs on its thread, inside the client library: leave without
         * running exit-time cleanup under it */
        LOG_WARNING("ZooKeeper sessions still closing after %d s; exiting without them",
                    ZK_DRAIN_SECS);
        act_log_close();
        _exit(status);
    }
    free(webui);
    free_config(&cfg);
    act_flags_free(&flags);
    act_log_close();
    return status;
}
