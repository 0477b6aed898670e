/*
 * slavetest.h - the real slave actor in the test process, on a paused clock, with everything
 * around it played at the message level: a fake master and fake executors (fake.h) and a
 * fake containerizer that records what the slave asks (launch, destroy, recover) and reports
 * launches and terminations when the test says so. The slave's own helpers (status update
 * manager, files, gc) are the real ones. Each path of the slave's life cycle (exits, launch
 * failures, acknowledgements, restarts from a checkpoint, shutdown) runs without sleeps, the
 * way Mesos' slave tests use a TestContainerizer and mock processes.
 */
#ifndef TESTS_SUPPORT_SLAVETEST_H
#define TESTS_SUPPORT_SLAVETEST_H

#include "slave/slave_state_int.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <jansson.h>

typedef struct st_options {
    const char *work_dir;        /* reuse this one (a restart); NULL: a fresh temp dir */
    bool cleanup;                /* --recover=cleanup (else reconnect) */
    bool no_strict;              /* --no-strict: skip unreadable checkpoints (else exit) */
    bool real_containerizer;     /* the real containerizer instead of the fake one */
    const char *default_container_info; /* --default_container_info */
    double grace;                /* --executor_shutdown_grace_period; 0 = 5 s */
    double registration_timeout; /* --executor_registration_timeout; 0 = 1 min */
} st_options;

/* One launch the slave asked the fake containerizer for. */
typedef struct st_launch {
    char container_id[WIRE_UUID_STRLEN];
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    char directory[4096];
    char pids_dir[4096];         /* where the run's pid is checkpointed; "" = not */
    int64_t cpus, mem;           /* the container's resources (res_scalar_milli) */
    bool has_container_info;     /* the executor brought (or was given) a ContainerInfo */
} st_launch;

/* One CZ_MSG_UPDATE the slave sent: a container's resources then. */
typedef struct st_update {
    char container_id[WIRE_UUID_STRLEN];
    int64_t cpus, mem;           /* res_scalar_milli */
} st_cz_update;

typedef struct st_cz st_cz;

typedef struct st_slave {
    char *work_dir;              /* owned */
    act_pid pid;                 /* the slave actor */
    int exit_status;             /* what the slave wrote when it failed (1), else 0 */
    fake *master;                /* "master": records what the slave sends it */
    st_cz *cz;                   /* NULL with the real containerizer */
    char id[WIRE_ID_MAX];        /* the slave ID once registered */
    size_t acked;                /* StatusUpdateMessages st_ack_all already answered */
    tu_counter *exited;          /* counts the slave actor's end */
} st_slave;

/* Starts a runtime (paused clock, one loop), the fakes and the slave; lets recovery finish
 * as far as it can without help. */
void st_start(st_slave *s, const st_options *o);
/* Registers the slave with the fake master (slave ID "S1", or the recovered one). */
void st_register(st_slave *s);
/* Ends the runtime as a SIGKILL would end the process (nothing is cleaned up on disk) and
 * starts a new slave on the same work dir with `o` (work_dir ignored). Executors of the old
 * one are played by new fakes (st_executor_named with the old name). */
void st_restart(st_slave *s, const st_options *o);
/* Shuts the runtime down and removes the work dir. */
void st_stop(st_slave *s);

void st_settle(void);
void st_advance(double secs);

/* RunTaskMessage from the fake master: task `task_id` of framework `fw` (checkpointing or not)
 * for the custom executor `executor_id`. */
void st_run_task(st_slave *s, const char *fw, bool checkpoint, const char *task_id,
                 const char *executor_id);
/* A ShutdownFrameworkMessage from the fake master. */
void st_shutdown_framework(st_slave *s, const char *fw);

/* A fake executor (records what the slave sends it) that registers as `executor_id`. */
fake *st_executor(st_slave *s, const char *fw, const char *executor_id);
/* A fake executor named `name` that does not register (it answers a reconnection). */
fake *st_executor_named(const char *name);
/* True once the slave actor has ended (bounded wait of `secs` of real time). */
bool st_exited(st_slave *s, double secs);
/* StatusUpdateMessage from the fake executor; the update's uuid is made from n. */
void st_update(st_slave *s, fake *executor, const char *fw, const char *executor_id,
               const char *task_id, wire_task_state state, uint8_t n);

/* StatusUpdateMessages the master got for task (any framework). */
size_t st_updates(st_slave *s, const char *task_id, wire_task_state state);
size_t st_updates_total(st_slave *s);
/* Acknowledges, from the fake master, every update it got and has not acknowledged yet, until
 * none is left (the next update of a task is sent only after the previous is acknowledged).
 * Returns how many it acknowledged. */
size_t st_ack_all(st_slave *s);

/* ---- the fake containerizer -------------------------------------------------------------- */

size_t st_launches(st_slave *s);
st_launch st_launch_at(st_slave *s, size_t i);
/* The latest launch for executor_id (fails the test if there is none). */
st_launch st_launch_of(st_slave *s, const char *executor_id);
/* Reports launch i: started with os pid (> 0), or failed with `message` (pid 0). */
void st_launched(st_slave *s, const char *container_id, int pid, const char *message);
/* Reports the end of a container: wait status (-1 unknown) and how it ended. */
void st_terminated(st_slave *s, const char *container_id, int status, const char *message);
/* Reports the end of a container an isolator destroyed for a limit it hit (`message`). */
void st_limited(st_slave *s, const char *container_id, const char *message);
/* The updates the slave sent, oldest first. */
size_t st_cz_updates(st_slave *s);
st_cz_update st_cz_update_at(st_slave *s, size_t i);
size_t st_destroys(st_slave *s, const char *container_id);
/* How many containers the slave handed over in CZ_MSG_RECOVER, and whether one is among them. */
size_t st_recovered(st_slave *s);
bool st_recovered_has(st_slave *s, const char *container_id);

/* ---- what the slave shows ---------------------------------------------------------------- */

/* GET /state.json, parsed (json_decref it). */
json_t *st_state(st_slave *s);
/* A number from /metrics/snapshot (-1 if absent). */
double st_metric(const char *name);
/* frameworks[] or completed_frameworks[] entry with this id in a state, or NULL. */
json_t *st_find(json_t *array, const char *id);

#endif
