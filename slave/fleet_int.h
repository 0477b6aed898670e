/*
 * fleet_int.h - hollow slaves (mesos-fleet): many slave actors in one process, each a slave as
 * far as a master can tell (its own PID slave(N) and slave ID, resources and attributes,
 * registration and re-registration with backoff, pings, status updates made reliable by a
 * status update manager of its own), whose executors are simulated: a launched task goes
 * TASK_RUNNING at once and TASK_FINISHED after the duration the task names, or never. For
 * measuring a master at a scale no test machine could host with real slaves, as Kubernetes'
 * kubemark does with hollow nodes.
 *
 * One actor "fleet" follows the leading master (master/detector.h) for all of them, holds the
 * one link to it, and tells every hollow slave when the leader changes or the connection to
 * it breaks: the slaves share their process's connection, so the master sees one peer
 * address carrying every slave.
 */
#ifndef SLAVE_FLEET_INT_H
#define SLAVE_FLEET_INT_H

#include "actor/actor.h"
#include "wire/wire.h"

#define FLEET_ACTOR "fleet"
/* The task label naming how long a hollow task runs (a duration: "500ms", "10secs"); the
 * task's data holding such a text does the same. Neither: it runs until killed. */
#define FLEET_DURATION_LABEL "duration"

typedef struct fleet_config {
    const char *master;       /* host:port, master@ip:port, zk://..., file://... */
    size_t slaves;            /* how many hollow slaves */
    const char *resources;    /* each slave's resources (res_parse text or JSON) */
    const char *attributes;   /* each slave's attributes (attr_parse_text), may be NULL */
    size_t racks;             /* > 0: slave i also gets rack:rack-<i % racks> */
    const char *hostname;     /* slave i reports hostname "<hostname>-<i>" */
    bool checkpoint;          /* SlaveInfo.checkpoint: the master waits for a disconnected
                                 slave to come back instead of removing it */
    double registration_backoff_factor; /* first (re-)registration delay in [0, this] */
} fleet_config;

/* Checks the configuration (resources and attributes parse, at least one slave). Returns 0,
 * or -EINVAL with the reason in err. */
int fleet_config_check(const fleet_config *cfg, char *err, size_t errlen);

/* Spawns the fleet actor on loop 0 and the hollow slaves (and their status update managers),
 * spread over every loop of the runtime, then follows the master cfg->master names. The
 * configuration is copied. Returns 0 and the fleet's pid, or a negative code (the address or
 * the configuration is unusable; logged). Its metrics: fleet/slaves, fleet/slaves_registered,
 * fleet/tasks_running (gauges), fleet/registrations, fleet/reregistrations,
 * fleet/tasks_launched, fleet/tasks_finished, fleet/tasks_killed, fleet/tasks_failed,
 * fleet/tasks_lost, fleet/shutdowns (counters). */
int fleet_spawn(const fleet_config *cfg, act_pid *out);

/* ---- between the fleet (fleet.c) and its hollow slaves (hollow.c) ------------------------ */

#define FLEET_MSG_LEADER "fleet.leader"           /* act_pid *: the leader; id "" = none */
#define FLEET_MSG_LINK_BROKEN "fleet.link_broken" /* the connection to the master broke */

/* Fetches the metrics (fleet/...) the hollow slaves count in; after act_init. */
void hollow_metrics_init(void);
/* Spawns a hollow slave "slave(N)" with its status update manager on `loop`, reporting
 * `info` (a wire_slave_info, taken). It registers once told of a leader. Returns its pid, or
 * an empty pid (logged) if it could not be spawned. */
act_pid hollow_spawn(wire_msg *info, double backoff_factor, int loop);

#endif /* SLAVE_FLEET_INT_H */
