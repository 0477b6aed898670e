/*
 * cluster.h - a real cluster for integration tests: the mesos-master and mesos-slave binaries
 * (the ASan builds) on free loopback ports with a temporary work directory, and a scheduler
 * driver in the test process that launches what a test asks for and records every status
 * update it gets (thread-safe, waited on with bounds).
 */
#ifndef TESTS_SUPPORT_CLUSTER_H
#define TESTS_SUPPORT_CLUSTER_H

#include "sched/sched.h"
#include "tests/support/testutil.h"

#include <jansson.h>

typedef struct tc_cluster {
    char *dir;                 /* temp root: master/, slave/ work dirs and logs */
    int master_pid, slave_pid;
    uint16_t master_port, slave_port;
    char master_ip[16], slave_ip[16];
    char master_addr[64];
    char slave_log[4200], master_log[4200];
    const char *const *master_flags; /* the caller's, for restarts */
} tc_cluster;

/* How to start a cluster: each daemon on its own loopback address (all of 127.0.0.0/8 reaches
 * lo), so that tests can play several hosts; extra flags for each. Environment variables the
 * daemons need (LIBPROCESS_SSL_*) are set in the test process, whose own runtime (the test
 * scheduler's) takes them too. */
typedef struct tc_options {
    const char *master_ip, *slave_ip;  /* NULL: 127.0.0.1 */
    const char *const *master_flags;   /* NULL-terminated extra --flags; kept by pointer */
    const char *const *slave_flags;
    bool no_slave;                     /* start the master only */
} tc_options;

/* Starts a master, then a slave with `slave_flags` (NULL-terminated extra --flags). Waits
 * until the slave is registered (bounded). */
void tc_start(tc_cluster *c, const char *const *slave_flags);
void tc_start_with(tc_cluster *c, const tc_options *o);
/* True once the master lists `n` active slaves. */
bool tc_slaves_active(tc_cluster *c, int n);
/* (Re)starts only the slave, same work dir and port. */
void tc_start_slave(tc_cluster *c, const char *const *slave_flags);
/* Starts a slave on the cluster's work dir and port with extra flags, its output in `log`,
 * and waits for nothing. Returns its pid. */
int tc_spawn_slave(tc_cluster *c, const char *const *slave_flags, const char *log);
void tc_kill_slave(tc_cluster *c, int sig);
/* (Re)starts only the master, same work dir (its registry) and port / stops it with sig
 * (bounded). */
void tc_start_master(tc_cluster *c);
void tc_kill_master(tc_cluster *c, int sig);
/* The slave's /state.json parsed (json_decref it), and a number of its /metrics/snapshot
 * (-1 when absent or the slave does not answer). */
json_t *tc_slave_state(tc_cluster *c);
double tc_slave_metric(tc_cluster *c, const char *name);
/* Waits (bounded) until the slave's metric `name` is `value`. */
bool tc_wait_slave_metric(tc_cluster *c, const char *name, double value, double secs);
/* Stops everything (SIGTERM, bounded) and removes the temp dir. */
void tc_stop(tc_cluster *c);
/* The slave's work_dir. */
const char *tc_slave_work_dir(const tc_cluster *c);
/* The glob pattern of `file` in the latest run of executor_id's sandbox; returns buf. */
char *tc_sandbox_glob(tc_cluster *c, const char *executor_id, const char *file, char *buf,
                      size_t n);
/* Waits until a file matching `pattern` contains `text` (bounded); true if one did. */
bool tc_wait_glob_contains(const char *pattern, const char *text, double secs);
/* The whole of the first file matching pattern (free() it), or NULL. */
char *tc_read_glob(const char *pattern);

/* One task for the test scheduler to launch. */
typedef struct tc_task {
    const char *id;
    const char *command;       /* shell command (command task) ... */
    const wire_executor_info *executor; /* ... or a custom executor (then command is data) */
    double cpus, mem;
    const wire_command_uri *uris; /* for the command task */
    size_t nuris;
    double disk;               /* MB; 0: no disk resource */
    const wire_container_info *container; /* the task's (a Docker image ...), or NULL */
    const wire_environment *environment;  /* the command task's, or NULL */
    const char *ports;         /* ranges the task takes from the offer ("[31001-31001]") */
    const char *user;          /* the command task's CommandInfo.user; NULL: none */
} tc_task;

typedef struct tc_sched tc_sched;

/* A driver registered with the cluster's master that launches queued tasks on offers (as
 * many as fit) and records updates. checkpoint: FrameworkInfo.checkpoint. */
tc_sched *tc_sched_start(tc_cluster *c, bool checkpoint);
/* The same for any master address (host:port, zk://..., file://...). */
tc_sched *tc_sched_start_at(const char *master, bool checkpoint);
/* The same with explicit acknowledgements that the test never gives: updates are delivered
 * but only a resent duplicate is acknowledged (by the driver). */
tc_sched *tc_sched_start_unacknowledging(tc_cluster *c, bool checkpoint);
/* The test scheduler with more of FrameworkInfo and the driver's credential argument. */
typedef struct tc_sched_options {
    bool checkpoint;
    bool unacknowledging;          /* as tc_sched_start_unacknowledging */
    const char *name;              /* NULL: "integration" */
    const char *principal;         /* FrameworkInfo.principal; NULL: none */
    const char *role;              /* NULL: "*" */
    const char *user;              /* NULL: "" (the user the slave runs as) */
    const wire_credential *credential; /* NULL: the driver does not authenticate */
} tc_sched_options;
tc_sched *tc_sched_start_with(const char *master, const tc_sched_options *o);
/* Waits (bounded) for the error callback; true, with its message in buf, if it came. */
bool tc_wait_error(tc_sched *s, char *buf, size_t n, double secs);
/* How many offers the scheduler received. */
int tc_offer_count(tc_sched *s);
/* Waits until the framework has registered (n = 1) or re-registered n - 1 times (bounded);
 * true if it did. */
bool tc_wait_registrations(tc_sched *s, int n, double secs);
/* How many times the scheduler was told it was disconnected. */
int tc_disconnected_count(tc_sched *s);
void tc_sched_launch(tc_sched *s, const tc_task *tasks, size_t n);
/* Waits until task `id` reached `state` (bounded); true if it did. */
bool tc_wait_state(tc_sched *s, const char *id, wire_task_state state, double secs);
/* Waits until task `id` reached `a` or `b` (bounded): the one it reached (a if both), or -1. */
int tc_wait_either(tc_sched *s, const char *id, wire_task_state a, wire_task_state b,
                   double secs);
/* How many updates with `state` arrived for task id. */
int tc_count_state(tc_sched *s, const char *id, wire_task_state state);
/* The message of the last update for task id (copied into buf). */
const char *tc_last_message(tc_sched *s, const char *id, char *buf, size_t n);
/* The reason of the last update for task id, or -1 when it has none. */
int tc_last_reason(tc_sched *s, const char *id);
int tc_executor_lost_count(tc_sched *s);
void tc_kill(tc_sched *s, const char *task_id);
/* Asks the master for the state of every task of the framework (a message a test can send as
 * often as it likes). */
void tc_reconcile(tc_sched *s);
const char *tc_framework_id(tc_sched *s);
void tc_sched_stop(tc_sched *s);

#endif
