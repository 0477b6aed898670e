/*
 * fleet_main.c - the mesos-fleet binary: --num_slaves hollow slaves (fleet_int.h) in one
 * process against a master (host:port, zk://, file://), for capacity tests of the master.
 * Its flag table, logging (WARNING by default: a line per status update of thousands of
 * slaves would cost more than the slaves), a runtime with --threads loops the slaves are
 * spread over, and a clean stop on SIGINT/SIGTERM.
 */
#include "slave/fleet_int.h"
#include "slave/slave_int.h" /* SLAVE_VERSION */

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

typedef struct fleet_flags {
    char *master, *ip, *advertise_ip, *resources, *attributes, *hostname, *log_dir;
    char *logging_level;
    int64_t port, advertise_port, num_slaves, racks, threads;
    double registration_backoff_factor;
    bool checkpoint, quiet;
} fleet_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(fleet_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master (required): host:port, master@ip:port, "
      "zk://[user:pass@]host:port[,host:port...]/path to follow the leader in ZooKeeper, or "
      "file:///path holding one of those."),
    F(num_slaves, INT, "1000", "How many hollow slaves to run."),
    F(resources, STRING, "cpus:8;mem:16384;disk:65536;ports:[31000-32000]",
      "Each hollow slave's resources (nothing is detected)."),
    F(attributes, STRING, NULL, "Each hollow slave's attributes, e.g. 'os:debian'."),
    F(racks, INT, "0", "Spread the slaves over this many racks: slave i also gets the "
      "attribute rack:rack-<i mod racks> (0: no rack attribute)."),
    F(hostname, STRING, NULL, "Slave i reports the hostname <hostname>-<i> (default: "
      "hollow-<port>)."),
    F(checkpoint, BOOL, "true", "Report checkpointing slaves: the master waits for a "
      "disconnected one to re-register instead of removing it at once."),
    F(registration_backoff_factor, DURATION, "1secs", "First registration delay is random in "
      "[0, this]; it doubles up to 1 minute, per slave."),
    F(threads, INT, "0", "Event-loop threads the slaves are spread over (0: one per online "
      "CPU, at least 2)."),
    F(ip, STRING, NULL, "IP address to listen on (default: LIBPROCESS_IP, else 127.0.0.1)."),
    F(port, INT, "0", "Port to listen on (0: any free port)."),
    F(advertise_ip, STRING, NULL, "IP address the master should use to reach the slaves."),
    F(advertise_port, INT, NULL, "Port the master should use to reach the slaves."),
    F(log_dir, STRING, NULL, "Directory for log files (default: stderr only)."),
    F(logging_level, STRING, "WARNING", "Lowest level logged: INFO, WARNING or ERROR."),
    F(quiet, BOOL, "false", "Log nothing to stderr."),
};

static void on_signal(int sig)
{
    act_stop();
}

static int loops_for(int64_t threads)
{
    if (threads > 0) return (int)threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 2 ? (int)cpus : 2;
}

static int check_counts(const fleet_flags *f, char *err, size_t errlen)
{
    if (f->num_slaves < 1) return snprintf(err, errlen, "--num_slaves must be at least 1"), -1;
    if (f->racks < 0) return snprintf(err, errlen, "--racks must not be negative"), -1;
    if (f->threads < 0 || f->threads > 64)
        return snprintf(err, errlen, "--threads must be between 0 and 64"), -1;
    return 0;
}

int main(int argc, char **argv)
{
    fleet_flags f;
    act_flags flags = {"mesos-fleet", NULL, "mesos " SLAVE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512], hostname[64];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-fleet --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_options lo = {"mesos-fleet", f.log_dir, ACT_LOG_WARNING, f.quiet, 0, 0};
    if (!f.master) snprintf(err, sizeof err, "--master is required"), rc = -EINVAL;
    else if (act_log_level_parse(f.logging_level, &lo.level) != 0)
        snprintf(err, sizeof err, "Invalid --logging_level '%s'", f.logging_level), rc = -EINVAL;
    else if (check_counts(&f, err, sizeof err) != 0) rc = -EINVAL;
    if (rc == 0 && (rc = act_log_init(&lo)) != 0)
        snprintf(err, sizeof err, "Cannot write logs to --log_dir=%s: %s", f.log_dir,
                 act_strerror(rc));
    if (rc != 0 || act_init_daemon(f.ip, f.port, f.advertise_ip, f.advertise_port,
                                   loops_for(f.threads)) != 0) {
        if (rc != 0) fprintf(stderr, "%s\n", err);
        act_flags_free(&flags);
        return 1;
    }
    snprintf(hostname, sizeof hostname, "hollow-%u", act_port());
    fleet_config cfg = {f.master, (size_t)f.num_slaves, f.resources, f.attributes,
                        (size_t)f.racks, f.hostname ? f.hostname : hostname, f.checkpoint,
                        f.registration_backoff_factor};
    act_pid pid;
    if (fleet_spawn(&cfg, &pid) != 0) {
        act_shutdown();
        act_flags_free(&flags);
        return 1;
    }
    act_set_default_actor(FLEET_ACTOR);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char ip[16];
    act_pid self = act_address();
    printf("mesos-fleet: %lld hollow slaves at %s:%u (metrics: /metrics/snapshot)\n",
           (long long)f.num_slaves, act_ip_format(self.ip, ip, sizeof ip), self.port);
    fflush(stdout);
    act_run();
    LOG_INFO("Fleet stopping");
    act_shutdown();
    act_flags_free(&flags);
    act_log_close();
    return 0;
}
