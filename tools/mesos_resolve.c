/*
 * mesos_resolve.c - mesos-resolve: prints the leading master as ip:port, as Mesos' tool does,
 * for a master given as host:port, master@ip:port, zk://[user:pass@]h1:p1,.../path or
 * file:///path. It runs a detector (master/detector.h) and prints the first leader it
 * reports; with no leader within --timeout, or an address it cannot use, it says why on
 * stderr and exits 1.
 *
 *   mesos-resolve zk://zk1:2181,zk2:2181/mesos   ->  10.0.0.2:5050
 */
#include "master/detector.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

typedef struct resolve_flags {
    double timeout;
    bool verbose;
} resolve_flags;

#define F(name, type, def, help) \
    {#name, ACT_FLAG_##type, def, help, offsetof(resolve_flags, name), NULL}

static const act_flag flag_table[] = {
    F(timeout, DURATION, "5secs", "How long to wait for a leading master."),
    F(verbose, BOOL, "false", "Log what the detector does (to stderr)."),
};

typedef struct resolve {
    const char *master;
    double timeout;
    char out[ACT_PID_STRLEN];  /* ip:port once resolved */
    char error[1024];          /* why not */
} resolve;

static void on_leader(act_actor *self, const act_msg *msg)
{
    resolve *r = act_state(self);
    const detector_leader *l = msg->obj;
    if (l->error) {
        snprintf(r->error, sizeof r->error, "Failed to detect master from '%s': %s", r->master,
                 l->error);
    } else if (l->info) {
        char ip[16];
        snprintf(r->out, sizeof r->out, "%s:%u", act_ip_format(l->pid.ip, ip, sizeof ip),
                 (unsigned)l->pid.port);
    } else {
        return; /* no leader yet: keep waiting */
    }
    act_stop();
}

static void on_timeout(act_actor *self, void *arg)
{
    resolve *r = act_state(self);
    char t[32];
    snprintf(r->error, sizeof r->error, "Failed to detect master from '%s' within %s",
             r->master, act_duration_format(r->timeout, t, sizeof t));
    act_stop();
}

static void on_init(act_actor *self, void *arg)
{
    resolve *r = act_state(self);
    act_delay(self, r->timeout, on_timeout, NULL);
}

/* Runs a detector for `a` (taken) until it names a leader or the time is up. */
static int run(resolve *r, detector_address *a)
{
    act_config c;
    act_config_default(&c);
    c.port = 0;
    c.listen = false;
    int rc = act_init(&c);
    if (rc != 0) {
        snprintf(r->error, sizeof r->error, "Failed to start the runtime: %s", act_strerror(rc));
        detector_address_free(a);
        return rc;
    }
    act_actor *self = act_new("resolve", r);
    act_on_init(self, on_init, NULL);
    act_on_message(self, DETECTOR_MSG_LEADER, on_leader);
    act_pid pid = act_self(self);
    act_spawn(self, 0);
    detector_spawn(a, DETECTOR_ZK_SESSION_TIMEOUT, &pid, 0);
    act_run();
    act_shutdown();
    return r->out[0] ? 0 : -1;
}

int main(int argc, char **argv)
{
    resolve_flags f;
    act_flags flags = {"mesos-resolve", "<master>", "mesos-resolve 0.22.0", flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int npos = 0;
    int rc = act_flags_load(&flags, argc, argv, &npos, "MESOS_", err, sizeof err);
    if (rc == 0 && npos != 1) {
        snprintf(err, sizeof err, npos ? "Ambiguous 'master': give exactly one"
                                       : "Missing 'master'");
        rc = -EINVAL;
    }
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-resolve --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_set_level(f.verbose ? ACT_LOG_INFO : ACT_LOG_ERROR);
    resolve r = {.master = argv[1], .timeout = f.timeout};
    detector_address *a = detector_parse(r.master, err, sizeof err);
    if (!a) snprintf(r.error, sizeof r.error, "Failed to create a master detector: %s", err);
    else run(&r, a);
    act_flags_free(&flags);
    if (r.out[0]) {
        printf("%s\n", r.out);
        return 0;
    }
    fprintf(stderr, "%s\n", r.error);
    return 1;
}
