/*
 * slave_main.c - the mesos-slave binary: its flag table (MESOS_<flag> and --flag=value,
 * --help, served in state.json), logging, the runtime (a second loop for the containerizer and
 * gc), the credential it authenticates with (--credential), and a clean stop on SIGINT/SIGTERM.
 * Every Mesos 0.22 slave flag is in the table; those of features this build does not have yet
 * (the external containerizer, perf and network isolators, other authenticatees, modules) take
 * their default only and refuse any other value, naming the flag. --isolation and
 * --containerizers names are checked here, and whether this machine has what they need
 * (cgroup controllers, root, a docker daemon) when the containerizers start.
 */
#include "slave/slave_state_int.h"

#include "master/auth.h"

#include <errno.h>
#include <pthread.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

typedef struct slave_flags {
    char *master, *ip, *hostname, *advertise_ip, *work_dir, *resources, *attributes;
    char *default_role, *isolation, *containerizers, *recover, *credential, *frameworks_home;
    char *default_container_info, *cgroups_root, *launcher_dir, *log_dir, *logging_level;
    char *external_log_file, *hadoop_home, *cgroups_hierarchy, *slave_subsystems;
    char *perf_events, *containerizer_path, *default_container_image, *docker;
    char *docker_sandbox_directory, *eth0_name, *lo_name, *modules, *authenticatee, *hooks;
    char *http_credentials;
    int64_t port, advertise_port, ephemeral_ports_per_container;
    uint64_t egress_rate_limit_per_container;
    double executor_registration_timeout, executor_shutdown_grace_period, recovery_timeout;
    double gc_delay, disk_watch_interval, registration_backoff_factor, logbufsecs;
    double gc_disk_headroom, resource_monitoring_interval, perf_interval, perf_duration;
    double docker_remove_delay, docker_stop_timeout, container_disk_watch_interval;
    bool strict, checkpoint, switch_user, enforce_container_disk_quota, authenticate_http, quiet;
    bool cgroups_enable_cfs, cgroups_limit_swap, initialize_driver_logging;
    bool network_enable_socket_statistics_summary, network_enable_socket_statistics_details;
} slave_flags;

static int validate_headroom(const void *value, char *err, size_t n)
{
    double v = *(const double *)value;
    if (v >= 0 && v <= 1) return 0;
    snprintf(err, n, "must be a value between 0.0 and 1.0");
    return 1;
}

#define F(name, type, def, help)                                                              \
    ACT_FLAG_ROW(slave_flags, name, type, def, help, NULL, NULL)
#define V(name, type, def, help, validate)                                                    \
    ACT_FLAG_ROW(slave_flags, name, type, def, help, validate, NULL)
/* A Mesos flag whose feature is not built yet: its default only (act_flag.unbuilt). */
#define U(name, type, def, help, why)                                                         \
    ACT_FLAG_ROW(slave_flags, name, type, def, help, NULL, why)

#define NO_NETWORK "the network isolator is not in this build yet"
#define NO_PERF "the perf_event isolator is not in this build yet"

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master (required): host:port, master@ip:port, "
      "zk://[user:pass@]host:port[,host:port...]/path to follow the leader in ZooKeeper, or "
      "file:///path holding one of those."),
    F(ip, STRING, NULL, "IP address to listen on (default: LIBPROCESS_IP, else 127.0.0.1)."),
    F(port, INT, "5051", "Port to listen on."),
    F(hostname, STRING, NULL, "The hostname the slave reports. Default: the name the bound IP "
      "resolves to, else the machine's host name."),
    F(advertise_ip, STRING, NULL, "IP address others should use to reach this slave."),
    F(advertise_port, INT, NULL, "Port others should use to reach this slave."),
    F(work_dir, STRING, "/tmp/mesos", "Where sandboxes and checkpoints live."),
    F(resources, STRING, NULL, "Resources, e.g. 'cpus:4;mem:8192;ports:[31000-32000]' or a "
      "JSON array; missing cpus, mem, disk and ports are detected."),
    F(attributes, STRING, NULL, "Attributes, e.g. 'rack:r1;os:debian'."),
    F(default_role, STRING, "*", "Role of resources given without one."),
    F(isolation, STRING, "posix/cpu,posix/mem", "Isolators, comma-separated: posix/cpu and "
      "posix/mem (usage only), posix/disk (sandbox usage; with --enforce_container_disk_quota "
      "a limit), cgroups/cpu (cpu shares; with --cgroups_enable_cfs a CFS quota), cgroups/mem "
      "(memory limit; a container over it ends 'Memory limit exceeded'), namespaces/pid (an "
      "executor's tasks see only its processes), filesystem/shared (the volumes of "
      "--default_container_info or the executor's ContainerInfo). Any of the last four "
      "contains each container in a cgroup of its own, so destroying it kills every process it "
      "started."),
    F(containerizers, STRING, "mesos", "Comma-separated containerizers in order of "
      "preference: 'mesos' (processes in sandboxes) and 'docker' (executors and tasks with a "
      "DOCKER ContainerInfo, through the docker client); e.g. 'docker,mesos'."),
    F(docker, STRING, "docker", "The docker client the Docker containerizer runs (a path, or "
      "a name found on PATH); it reaches the daemon its environment names (DOCKER_HOST)."),
    F(docker_sandbox_directory, STRING, "/mnt/mesos/sandbox", "Where the sandbox is mounted in "
      "a Docker container (MESOS_SANDBOX there)."),
    F(docker_remove_delay, DURATION, "6hrs", "How long an ended Docker container is kept "
      "before it is removed."),
    F(docker_stop_timeout, DURATION, "0secs", "How long `docker stop` waits after SIGTERM "
      "before it kills a container (a task's kill, an executor's end)."),
    F(executor_registration_timeout, DURATION, "1mins", "Time an executor has to register."),
    F(executor_shutdown_grace_period, DURATION, "5secs", "Time an executor has to exit after "
      "shutdown before its process group is killed."),
    F(recover, STRING, "reconnect", "After a restart: 'reconnect' to live executors or "
      "'cleanup' (kill them and exit)."),
    F(recovery_timeout, DURATION, "15mins", "Time executors wait for a restarted slave."),
    F(strict, BOOL, "true", "A checkpoint file that is there but cannot be read fails "
      "recovery: the slave exits (status 1) naming it. With --no-strict such files are "
      "skipped, counted in slave/recovery_errors, and the rest is recovered."),
    F(checkpoint, BOOL, "true", "Checkpoint for recovery (frameworks opt in too)."),
    F(credential, PATH, NULL, "A file holding this slave's credential for authenticating "
      "with the master (CRAM-MD5): a line 'principal secret', or JSON {\"principal\": ..., "
      "\"secret\": ...}; /path or file:///path. Needed with the master's "
      "--authenticate_slaves."),
    U(authenticatee, STRING, "crammd5", "Authenticatee implementation.",
      "only the built-in 'crammd5' authenticatee is in this build"),
    F(authenticate_http, BOOL, "false", "The endpoints that show task data (/files/*) and "
      "/logging/toggle need HTTP Basic credentials from --http_credentials."),
    F(http_credentials, PATH, NULL, "A file of the principals and secrets HTTP clients "
      "authenticate with (--authenticate_http): the --credentials forms of the master."),
    F(frameworks_home, STRING, NULL, "Directory prepended to relative executor URIs."),
    U(hadoop_home, STRING, NULL, "Where Hadoop is, to fetch hdfs:// URIs.",
      "fetching from HDFS is not in this build yet"),
    F(gc_delay, DURATION, "1weeks", "Time after which finished sandboxes are removed."),
    V(gc_disk_headroom, DOUBLE, "0.1", "The share of the disk gc keeps free: every "
      "--disk_watch_interval, sandboxes older than gc_delay * max(0, 1 - gc_disk_headroom - "
      "disk usage) are removed. Between 0.0 and 1.0.", validate_headroom),
    F(disk_watch_interval, DURATION, "1mins", "How often disk usage is checked for gc."),
    F(resource_monitoring_interval, DURATION, "1secs", "How often executors' resource usage "
      "is measured (/monitor/statistics.json answers one measurement for that long)."),
    F(switch_user, BOOL, "true", "Run tasks as their user (when the slave runs as root)."),
    F(default_container_info, STRING, NULL, "JSON ContainerInfo given to every executor that "
      "brings none, e.g. {\"type\":\"MESOS\",\"volumes\":[{\"host_path\":\"tmp\","
      "\"container_path\":\"/tmp\",\"mode\":\"RW\"}]} (with filesystem/shared: a /tmp "
      "of its own, in the sandbox, for each container)."),
    F(enforce_container_disk_quota, BOOL, "false", "With posix/disk: destroy a container whose "
      "sandbox uses more than its disk resource (its tasks fail 'Disk usage exceeded')."),
    F(container_disk_watch_interval, DURATION, "15secs", "With posix/disk: how often sandboxes "
      "are measured."),
    F(registration_backoff_factor, DURATION, "1secs", "First registration delay is random in "
      "[0, this]; it doubles up to 1 minute."),
    F(cgroups_hierarchy, STRING, "/sys/fs/cgroup", "Where the cgroups are: cgroup v1 "
      "controllers mounted at <this>/<controller>, or a cgroup v2 (unified) mount here or at "
      "<this>/unified. The slave says in its log which layout it uses."),
    F(cgroups_root, STRING, "mesos", "The cgroup under which every container's cgroup is made "
      "(<root>/<container id>), in each hierarchy; after a restart, cgroups under it that no "
      "recovered container owns are destroyed."),
    F(cgroups_enable_cfs, BOOL, "false", "With cgroups/cpu: also limit cpu with a CFS quota "
      "(a hard limit of its cpus), not only cpu shares."),
    F(cgroups_limit_swap, BOOL, "false", "With cgroups/mem: the memory limit covers memory and "
      "swap together."),
    U(default_container_image, STRING, NULL, "Image for tasks without one (external "
      "containerizer).", "the external containerizer is not in this build yet"),
    U(containerizer_path, STRING, NULL, "The external containerizer's program.",
      "the external containerizer is not in this build yet"),
    U(slave_subsystems, STRING, NULL, "Cgroup subsystems to run the slave in.",
      "running the slave in cgroups is not in this build yet"),
    U(perf_events, STRING, NULL, "Perf events to sample for each container.", NO_PERF),
    U(perf_interval, DURATION, "1mins", "Time between perf samples.", NO_PERF),
    U(perf_duration, DURATION, "10secs", "Length of a perf sample.", NO_PERF),
    U(ephemeral_ports_per_container, INT, "1024", "Ephemeral ports per container (network "
      "isolator).", NO_NETWORK),
    U(eth0_name, STRING, NULL, "The public network interface (network isolator).",
      NO_NETWORK),
    U(lo_name, STRING, NULL, "The loopback interface (network isolator).", NO_NETWORK),
    U(egress_rate_limit_per_container, BYTES, NULL, "Egress bytes per second per container "
      "(network isolator).", NO_NETWORK),
    U(network_enable_socket_statistics_summary, BOOL, "false", "Socket statistics summary per "
      "container (network isolator).", NO_NETWORK),
    U(network_enable_socket_statistics_details, BOOL, "false", "Socket statistics details per "
      "container (network isolator).", NO_NETWORK),
    U(modules, STRING, NULL, "Modules to load (JSON).", "modules are not in this build yet"),
    U(hooks, STRING, NULL, "Hook modules to install.", "hooks are not in this build yet"),
    F(launcher_dir, STRING, NULL, "Directory holding mesos-executor and mesos-docker-executor "
      "(default: ../libexec/mesos "
      "from this binary when it is there, as installed; else this binary's)."),
    F(log_dir, STRING, NULL, "Directory for log files (default: stderr only); the INFO file "
      "is served as /slave/log (the web UI's LOG link)."),
    F(logging_level, STRING, "INFO", "Lowest level logged: INFO, WARNING or ERROR."),
    F(external_log_file, STRING, NULL, "A log file written by something else (e.g. a "
      "supervisor), served as /slave/log instead of --log_dir's."),
    F(quiet, BOOL, "false", "Log nothing to stderr."),
    F(logbufsecs, DOUBLE, "0", "Seconds log lines may stay buffered."),
    F(initialize_driver_logging, BOOL, "true", "Whether scheduler and executor drivers in "
      "this process set up logging (none run in the slave)."),
};

static void isolation_config(const slave_flags *f, cz_config *c)
{
    c->isolation = f->isolation;
    c->cgroups_hierarchy = f->cgroups_hierarchy;
    c->cgroups_root = f->cgroups_root;
    c->cgroups_enable_cfs = f->cgroups_enable_cfs;
    c->cgroups_limit_swap = f->cgroups_limit_swap;
    c->enforce_container_disk_quota = f->enforce_container_disk_quota;
    c->container_disk_watch_interval = f->container_disk_watch_interval;
    c->resource_monitoring_interval = f->resource_monitoring_interval;
}

static int build_config(const slave_flags *f, slave_config *c, char *err, size_t errlen)
{
    slave_config_default(c);
    if (!f->master) return snprintf(err, errlen, "--master is required"), -EINVAL;
    cz_kind kinds[CZ_KINDS_MAX];
    if (cz_kinds_parse(f->containerizers, kinds, err, errlen) < 0) return -EINVAL;
    if (strcmp(f->recover, "reconnect") != 0 && strcmp(f->recover, "cleanup") != 0)
        return snprintf(err, errlen, "Invalid --recover '%s'", f->recover), -EINVAL;
    isolation_config(f, &c->isolation);
    int rc = cz_config_check(&c->isolation, err, errlen);
    if (rc != 0) return rc;
    c->default_container_info = f->default_container_info;
    c->master = f->master;
    c->work_dir = f->work_dir;
    c->resources = f->resources;
    c->attributes = f->attributes;
    c->default_role = f->default_role;
    c->hostname = f->hostname;
    c->launcher_dir = f->launcher_dir;
    c->frameworks_home = f->frameworks_home;
    c->checkpoint = f->checkpoint;
    c->switch_user = f->switch_user;
    c->recover_reconnect = strcmp(f->recover, "reconnect") == 0;
    c->strict = f->strict;
    c->executor_registration_timeout = f->executor_registration_timeout;
    c->executor_shutdown_grace_period = f->executor_shutdown_grace_period;
    c->recovery_timeout = f->recovery_timeout;
    c->registration_backoff_factor = f->registration_backoff_factor;
    c->gc_delay = f->gc_delay;
    c->gc_disk_headroom = f->gc_disk_headroom;
    c->disk_watch_interval = f->disk_watch_interval;
    c->log_dir = f->log_dir;
    c->containerizers = f->containerizers;
    c->docker.docker = f->docker;
    c->docker.sandbox_directory = f->docker_sandbox_directory;
    c->docker.remove_delay = f->docker_remove_delay;
    c->docker.stop_timeout = f->docker_stop_timeout;
    c->external_log_file = f->external_log_file;
    return 0;
}

/* The --http_credentials, or NULL when --authenticate_http is off. */
static auth_credentials *read_http_credentials(const slave_flags *f, char *err, size_t errlen,
                                               int *rc)
{
    auth_credentials *c = NULL;
    *rc = 0;
    if (f->authenticate_http && !f->http_credentials) {
        snprintf(err, errlen, "--authenticate_http needs --http_credentials");
        *rc = -EINVAL;
    } else if (f->authenticate_http) {
        *rc = auth_credentials_read(f->http_credentials, &c, err, errlen);
    }
    return c;
}

/* The --credential file's credential, or NULL (the slave does not authenticate). */
static wire_msg *read_credential(const slave_flags *f, char *err, size_t errlen, int *rc)
{
    wire_msg *cred = NULL;
    *rc = f->credential ? auth_credential_read(f->credential, &cred, err, errlen) : 0;
    return cred;
}

/* SIGINT, SIGTERM and SIGUSR1 are taken by a thread of their own, which asks the slave actor to
 * unregister and shut its executors down; the slave stops as soon as they are gone (at once when there are none, at
 * most their grace period and the kill after it). A second signal changes nothing: the
 * executors keep their grace period. */
static act_pid slave_pid;

/* Where mesos-executor is when --launcher_dir is not given: <prefix>/libexec/mesos when this
 * binary is installed in <prefix>/sbin (the Mesos layout), else this binary's directory (as
 * in build/bin). buf must hold PATH_MAX bytes. */
static const char *default_launcher_dir(char buf[PATH_MAX])
{
    char self[PATH_MAX], libexec[PATH_MAX + 32], executor[PATH_MAX + 64];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return ".";
    self[len] = '\0';
    const char *dir = dirname(self);
    snprintf(libexec, sizeof libexec, "%s/../libexec/mesos", dir);
    snprintf(executor, sizeof executor, "%s/mesos-executor", libexec);
    if (access(executor, X_OK) != 0 || !realpath(libexec, buf)) snprintf(buf, PATH_MAX, "%s", dir);
    return buf;
}

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig;
    for (int n = 0; sigwait(set, &sig) == 0; n++) {
        const char *name = sig == SIGINT ? "SIGINT" : sig == SIGUSR1 ? "SIGUSR1" : "SIGTERM";
        if (n == 0) {
            LOG_INFO("Received %s: shutting down", name);
            act_dispatch(&slave_pid, slave_shutdown, NULL);
        } else {
            LOG_WARNING("Received %s again: still shutting down (executors have their grace "
                        "period)", name);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    slave_flags f;
    act_flags flags = {"mesos-slave", NULL, "mesos " SLAVE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512], exe_dir[PATH_MAX];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-slave --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_options lo = {"mesos-slave", f.log_dir, ACT_LOG_INFO, f.quiet, f.logbufsecs, 0};
    slave_config cfg;
    wire_msg *credential = NULL;
    auth_credentials *http_credentials = NULL;
    if (act_log_level_parse(f.logging_level, &lo.level) != 0) {
        snprintf(err, sizeof err, "Invalid --logging_level '%s'", f.logging_level);
        rc = -EINVAL;
    } else if ((rc = build_config(&f, &cfg, err, sizeof err)) == 0 &&
               (credential = read_credential(&f, err, sizeof err, &rc), rc == 0)) {
        http_credentials = read_http_credentials(&f, err, sizeof err, &rc);
    }
    int status = 1;
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    cfg.credential = credential ? credential->root : NULL;
    if (!cfg.launcher_dir) cfg.launcher_dir = default_launcher_dir(exe_dir);
    if ((rc = act_log_init(&lo)) != 0) {
        fprintf(stderr, "Cannot write logs to --log_dir=%s: %s\n", f.log_dir, act_strerror(rc));
        goto out;
    }
    cfg.flags = &flags;
    cfg.stop_runtime = true;
    int failed = 0;
    cfg.exit_status = &failed;
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1); /* Mesos' slave shuts down on SIGUSR1 */
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started from here inherits it */
    if ((rc = act_init_daemon(f.ip, f.port, f.advertise_ip, f.advertise_port, 2)) != 0)
        goto out;
    char host[256];
    if (!cfg.hostname) cfg.hostname = act_ip_hostname(act_address().ip, host, sizeof host);
    if (http_credentials)
        act_http_set_authenticator(auth_credentials_check, http_credentials, "Mesos slave");
    if (slave_spawn(&cfg, &slave_pid) != 0) goto out;
    pthread_t sig_thread;
    pthread_create(&sig_thread, NULL, signal_thread, &set);
    pthread_detach(sig_thread);
    act_run();
    LOG_INFO("Slave stopping");
    status = failed;
out:
    if (act_initialized()) act_shutdown();
    wire_msg_free(credential);
    auth_credentials_free(http_credentials);
    act_flags_free(&flags);
    act_log_close();
    return status;
}
