/*
 * slave_int.h - the contracts between the slave's actors (SPEC section 6, PROTOCOL.md):
 * the slave actor "slave(1)" owns frameworks, executors and tasks and talks to the master;
 * "containerizer" launches executors as process groups in their sandboxes, watches them and
 * measures them (with "monitor" serving /monitor/statistics.json); "status-update-manager"
 * makes status updates reliable (checkpointed, retried until acknowledged); "files" serves
 * sandboxes over HTTP; "gc" removes old sandboxes. They talk by act_post objects defined
 * here (no encoding: one process). Also the on-disk layout (paths) and checkpoint helpers.
 */
#ifndef SLAVE_SLAVE_INT_H
#define SLAVE_SLAVE_INT_H

#include "actor/actor.h"
#include "wire/wire.h"

#include <sys/types.h>

#define SLAVE_VERSION WIRE_VERSION

/* ---- paths (paths.c) --------------------------------------------------------------------- */
/* Every function writes into buf (PATH_MAX is enough) and returns buf.
 * Sandboxes:  <work_dir>/slaves/<slave>/frameworks/<fw>/executors/<ex>/runs/<container>
 * Checkpoints: <work_dir>/meta/slaves/<slave>/... with the same nesting, plus:
 *   meta/slaves/latest (symlink to the current slave's directory), slave.info,
 *   frameworks/<fw>/framework.info + framework.pid, executors/<ex>/executor.info,
 *   runs/<container>/pids/forked.pid + forked.identity + libprocess.pid,
 *   tasks/<task>/task.info + task.updates */

/* Writes the formatted path into buf (truncated to n - 1 bytes if it must be) and returns buf;
 * for the paths below and for walking what they name. */
char *path_fmt(char *buf, size_t n, const char *format, ...) __attribute__((format(printf, 3, 4)));
char *path_sandbox(char *buf, size_t n, const char *work_dir, const char *slave_id,
                   const char *framework_id, const char *executor_id, const char *container_id);
/* .../executors/<ex>/runs/latest (a symlink to the current run) */
char *path_sandbox_latest(char *buf, size_t n, const char *work_dir, const char *slave_id,
                          const char *framework_id, const char *executor_id);
char *path_meta_root(char *buf, size_t n, const char *work_dir);            /* <wd>/meta */
char *path_meta_latest_slave(char *buf, size_t n, const char *work_dir);    /* .../slaves/latest */
char *path_meta_slave(char *buf, size_t n, const char *work_dir, const char *slave_id);
char *path_meta_slave_info(char *buf, size_t n, const char *work_dir, const char *slave_id);
char *path_meta_framework(char *buf, size_t n, const char *work_dir, const char *slave_id,
                          const char *framework_id);
char *path_meta_executor(char *buf, size_t n, const char *work_dir, const char *slave_id,
                         const char *framework_id, const char *executor_id);
char *path_meta_run(char *buf, size_t n, const char *work_dir, const char *slave_id,
                    const char *framework_id, const char *executor_id, const char *container_id);
/* .../runs/<container>/pids: forked.pid and forked.identity (proctree.c), libprocess.pid */
char *path_meta_pids(char *buf, size_t n, const char *work_dir, const char *slave_id,
                     const char *framework_id, const char *executor_id, const char *container_id);
char *path_meta_task(char *buf, size_t n, const char *work_dir, const char *slave_id,
                     const char *framework_id, const char *executor_id, const char *container_id,
                     const char *task_id);
/* .../tasks/<task>/task.updates */
char *path_meta_task_updates(char *buf, size_t n, const char *work_dir, const char *slave_id,
                             const char *framework_id, const char *executor_id,
                             const char *container_id, const char *task_id);

/* ---- checkpoints (checkpoint.c) ---------------------------------------------------------- */
/* mkdir -p. Returns 0 or -errno. */
int ckpt_mkdirs(const char *path, mode_t mode);
/* Writes bytes to path atomically and durably (temp file, fsync, rename, fsync directory),
 * creating parent directories. Returns 0 or -errno (err says what). */
int ckpt_write_bytes(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Encodes obj (a desc struct) and writes it atomically. */
int ckpt_write(const char *path, const wire_desc *desc, const void *obj, char *err,
               size_t errlen);
/* Reads and decodes a file written by ckpt_write. -ENOENT if absent, -EBADMSG if it does not
 * decode (err names the file). */
int ckpt_read(const char *path, const wire_desc *desc, wire_msg **out, char *err,
              size_t errlen);
/* Appends one record (4-byte big-endian length + msgpack) and fsyncs. */
int ckpt_append(const char *path, const wire_desc *desc, const void *obj, char *err,
                size_t errlen);
/* Calls fn for each record of a file written by ckpt_append, in order. A torn last record
 * (a crash mid-append) is ignored and truncated away. Returns the count or -errno. */
int ckpt_read_records(const char *path, const wire_desc *desc,
                      void (*fn)(void *ctx, const void *record), void *ctx, char *err,
                      size_t errlen);
/* Reads a small text file (pid files, framework.pid) into buf (NUL-terminated, trailing
 * newline kept). Returns the length read, -ENOENT if absent, -EFBIG if it does not fit. */
int ckpt_read_text(const char *path, char *buf, size_t n);
int ckpt_write_text(const char *path, const char *text, char *err, size_t errlen);

/* ---- process identity and signals (proctree.c) ------------------------------------------ */

/* What proves a pid is still the process the slave started: the boot it started in and its
 * start time. A reused pid starts later, so the pair names one process for good. */
typedef struct proc_identity {
    pid_t pid;
    uint64_t start_time;            /* field 22 of /proc/<pid>/stat: clock ticks after boot */
    char boot_id[WIRE_UUID_STRLEN]; /* /proc/sys/kernel/random/boot_id */
} proc_identity;

/* The identity of pid as it is now. Returns 0, -ESRCH if there is no such process, -EINVAL
 * for pid <= 1, or -errno when /proc cannot be read. */
int proc_identity_read(pid_t pid, proc_identity *out);
/* 0 if id's process is still alive; -ESRCH if it is gone (or a zombie); -ESTALE if its pid
 * now names another process or the machine rebooted since; -EINVAL for a pid <= 1. */
int proc_identity_check(const proc_identity *id);
/* Checkpoints id in dir as forked.identity (pid, boot ID, start time) and forked.pid. Returns
 * 0 or -errno (err says what). */
int proc_identity_save(const char *dir, const proc_identity *id, char *err, size_t errlen);
/* Reads what proc_identity_save wrote. Returns 0; -ENOENT when dir holds neither file;
 * -ENODATA when only forked.pid is there (out->pid is set: a pid nothing proves); -EBADMSG
 * when the identity does not parse. err names the file. */
int proc_identity_load(const char *dir, proc_identity *out, char *err, size_t errlen);
/* Every signal the slave sends to an executor goes through here. If id's process is alive,
 * signals it, its descendants and the process groups they lead; if it is gone, what is left
 * of its group; if its pid now names another process (or anything else fails the proof),
 * nothing. Never a pid or group <= 1. Returns 0 or the proc_identity_check error. */
int proc_kill(const proc_identity *id, int sig);

/* ---- containerizer (containerizer.c, launcher.c, fetcher.c, monitor.c) ------------------- */

#define CONTAINERIZER_ACTOR "containerizer"
#define CZ_MSG_LAUNCH "containerizer.launch"        /* cz_launch, from the slave */
#define CZ_MSG_LAUNCHED "containerizer.launched"    /* cz_result, to the requester */
#define CZ_MSG_DESTROY "containerizer.destroy"      /* cz_destroy */
#define CZ_MSG_TERMINATED "containerizer.terminated" /* cz_result, to the launch requester */
#define CZ_MSG_RECOVER "containerizer.recover"      /* cz_recover */
#define CZ_MSG_UPDATE "containerizer.update"        /* cz_update, from the slave */

/* How the containerizer isolates executors: the slave's --isolation and the flags of its
 * isolators (SPEC section 6). Strings are borrowed. */
typedef struct cz_config {
    const char *isolation;             /* "posix/cpu,posix/mem" (the default), "cgroups/cpu,..." */
    const char *cgroups_hierarchy;     /* /sys/fs/cgroup */
    const char *cgroups_root;          /* mesos: each container's cgroup is <root>/<container> */
    bool cgroups_enable_cfs;           /* a CFS quota as well as cpu shares */
    bool cgroups_limit_swap;           /* the memory limit covers swap too */
    bool enforce_container_disk_quota; /* posix/disk: over its disk, a container is destroyed */
    double container_disk_watch_interval; /* posix/disk: seconds between measurements */
    double resource_monitoring_interval;  /* statistics.json measures at most this often */
} cz_config;

void cz_config_default(cz_config *c);
/* Checks what can be checked without the machine: every --isolation name is known (the error
 * names those that are not) and --cgroups_root is a relative path without "..". Returns 0 or
 * -EINVAL with the reason in err. */
int cz_config_check(const cz_config *c, char *err, size_t errlen);

/* Mesos' ResourceStatistics: what the isolators measured of a container, for
 * /monitor/statistics.json. A group of fields is shown only when its has_ flag is set. */
typedef struct cz_stats {
    bool has_cpus_times;
    double cpus_user_time_secs, cpus_system_time_secs;
    bool has_cpus_throttling;         /* CFS: cpu.stat */
    uint64_t cpus_nr_periods, cpus_nr_throttled;
    double cpus_throttled_time_secs;
    bool has_mem_rss;
    uint64_t mem_rss_bytes;
    bool has_mem_breakdown;           /* memory.stat */
    uint64_t mem_file_bytes, mem_anon_bytes, mem_mapped_file_bytes;
    bool has_disk_limit, has_disk_used;
    uint64_t disk_limit_bytes, disk_used_bytes;
} cz_stats;

typedef struct cz_launch {
    char container_id[WIRE_UUID_STRLEN];
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    char *directory;        /* the sandbox, already created by the slave */
    wire_msg *executor;     /* a wire_executor_info: command (value/shell/arguments/uris/
                               environment/user), resources; owned */
    char *user;             /* run as this user (setuid) when non-NULL and we are root */
    char **env;             /* extra "KEY=VALUE" entries (MESOS_*), NULL-terminated; owned */
    char *pids_dir;         /* where to checkpoint the forked pid and its identity, or NULL */
    char *frameworks_home;  /* for relative URIs, or NULL */
    res_set resources;      /* what the executor and its tasks may use (limits, statistics) */
    bool command;           /* the slave's own executor for a command task (mesos-executor,
                               or mesos-docker-executor for a task in a Docker image) */
} cz_launch;
void cz_launch_free(void *launch);

/* Every launch gets exactly one CZ_MSG_LAUNCHED; a successful one (pid > 0) later exactly one
 * CZ_MSG_TERMINATED, a failed one none. Destroying a container that is still fetching or
 * forking gives a failed LAUNCHED ("Container destroyed while launching"). */
typedef struct cz_result {
    char container_id[WIRE_UUID_STRLEN];
    int pid;                /* launched: > 0; 0 on failure */
    int status;             /* terminated: the wait status, -1 if unknown (not our child) */
    char message[512];      /* why a launch failed or how the executor ended */
    bool limited;           /* terminated: destroyed because it hit a limit (the message says
                               which, with the usage then: "Memory limit exceeded: ...") */
} cz_result;

typedef struct cz_destroy {
    char container_id[WIRE_UUID_STRLEN];
    double grace_seconds;   /* SIGTERM, then SIGKILL to the process group after this */
} cz_destroy;

/* The resources of a running container changed (tasks joined or left its executor): the
 * isolators apply them (cpu shares and quota, memory limit, disk quota). */
typedef struct cz_update {
    char container_id[WIRE_UUID_STRLEN];
    res_set resources;      /* the executor's and its live tasks'; owned */
} cz_update;
void cz_update_free(void *update);

typedef struct cz_recovered {
    char container_id[WIRE_UUID_STRLEN];
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    proc_identity identity; /* the executor as checkpointed: watched only while it is that */
    char *directory;
    res_set resources;
    wire_container_type container_type; /* the executor's ContainerInfo.type, 0 if none:
                                           which containerizer recovers it */
} cz_recovered;

typedef struct cz_recover {
    cz_recovered *v;        /* executors found in the checkpoint; owned */
    size_t n;
} cz_recover;
void cz_recover_free(void *recover);

/* Spawns "containerizer" (Mesos' MesosContainerizer) on `loop`, with the isolators of cfg
 * (NULL: the defaults). Terminations are posted as CZ_MSG_TERMINATED to whoever asked for the
 * launch (or for the recovery). Returns the pid, or none when the isolators cannot be made here
 * (a controller missing, not root ...: the reason is written to err). */
act_pid containerizer_spawn(const cz_config *cfg, int loop, char *err, size_t errlen);

/* ---- the Docker containerizer and the choice between containerizers ---------------------- */

#define DOCKER_CONTAINERIZER_ACTOR "docker-containerizer"
#define COMPOSING_ACTOR "composing-containerizer"

/* The Docker containerizer's flags (docker_containerizer.c). Strings are borrowed. */
typedef struct dz_config {
    const char *docker;             /* --docker: the client, a path or a name on PATH */
    const char *sandbox_directory;  /* --docker_sandbox_directory: the sandbox in a container */
    double remove_delay;            /* --docker_remove_delay: an ended container is removed
                                       after this */
    double stop_timeout;            /* --docker_stop_timeout: docker stop -t */
    const char *work_dir;           /* the slave's: its containers are labelled with it */
    const char *cgroups_hierarchy;  /* where the cgroups of its containers are read (usage) */
} dz_config;

void dz_config_default(dz_config *c);

/* The containerizers of --containerizers, in order of preference. */
typedef enum cz_kind { CZ_MESOS, CZ_DOCKER } cz_kind;
#define CZ_KINDS_MAX 2

/* Parses --containerizers ("mesos", "docker,mesos" ...). Returns how many kinds were written
 * to out, or -EINVAL with the reason in err (an unknown or repeated name, an empty list). */
int cz_kinds_parse(const char *list, cz_kind *out, char *err, size_t errlen);
/* Whether containerizer `kind` runs this executor: docker those whose ContainerInfo is DOCKER,
 * mesos every other (as Mesos' containerizers decline what they cannot run). */
bool cz_kind_runs(cz_kind kind, const wire_executor_info *executor);

/* Spawns the containerizers of kinds (n of them, in order of preference) on `loop`, the
 * "monitor" (route statistics.json) over all of them and, when there are several, a
 * "composing-containerizer" in front that gives each launch to the first that runs its
 * executor and routes destroy, update and recovery by container. mesos: the isolators of the
 * Mesos containerizer (NULL: the defaults); docker: the Docker containerizer's flags (it
 * checks here, blocking for up to 15 s, that `docker version` reaches a daemon). Returns the
 * pid the slave talks to (the CZ_MSG_* contract above), or none with the reason in err. */
act_pid composing_spawn(const cz_kind *kinds, size_t n, const cz_config *mesos,
                        const dz_config *docker, int loop, char *err, size_t errlen);

/* ---- status update manager (status_update_manager.c) ------------------------------------- */

#define SUM_ACTOR "status-update-manager"
#define SUM_MSG_UPDATE "sum.update"   /* sum_update, from the slave */
#define SUM_MSG_ACK "sum.ack"         /* sum_ack, from the slave (the master acknowledged) */
#define SUM_MSG_ACKED "sum.acked"     /* sum_ack, to the slave: stream advanced (terminal?) */
#define SUM_MSG_MASTER "sum.master"   /* act_pid *: forward to this master; id "" = paused */
#define SUM_MSG_RECOVER "sum.recover" /* sum_recover */
#define SUM_MSG_CLEANUP "sum.cleanup" /* char *framework_id: forget its streams */

typedef struct sum_update {
    wire_msg *update;       /* a wire_status_update with uuid; owned */
    char *path;             /* task.updates to checkpoint into, or NULL (no checkpoint) */
    act_pid executor;       /* acknowledge to this executor once recorded; id "" = none */
    act_pid slave;          /* the slave's pid, sent as StatusUpdateMessage.pid */
} sum_update;
void sum_update_free(void *u);

typedef struct sum_ack {
    char framework_id[WIRE_ID_MAX];
    char task_id[WIRE_ID_MAX];
    wire_uuid uuid;
    bool terminal;          /* SUM_MSG_ACKED: the acknowledged update was terminal */
} sum_ack;

typedef struct sum_recover_stream {
    char *path;             /* a task.updates file */
    act_pid slave;
} sum_recover_stream;

typedef struct sum_recover {
    sum_recover_stream *v;  /* owned */
    size_t n;
} sum_recover;
void sum_recover_free(void *r);

/* Spawns a manager named `name` (NULL: "status-update-manager", the slave's) on `loop`:
 * per-task streams, the oldest unacknowledged update of each task in flight to the master,
 * resent after 10 s doubling to 10 min (runtime clock), duplicates (same uuid) dropped, ACK
 * records checkpointed. A process may run several (one per hollow slave in mesos-fleet); the
 * gauges status-update-manager/pending and /streams count them all. Returns an empty pid if
 * the name is taken. */
act_pid sum_spawn(const char *name, int loop);

/* The same manager run inside another actor, `self` (each hollow slave of mesos-fleet embeds
 * one): its sends and retry timers are self's, and the SUM_MSG_* messages become calls made
 * from self's handlers. sum_take_update takes in->update (NULL afterwards) unless the update
 * is invalid (logged); sum_take_ack returns 1 when the acknowledged update was terminal (its
 * stream is closed), 0 when the stream advanced, -1 when the acknowledgement matched nothing
 * (logged). */
typedef struct sum_state sum_state;
sum_state *sum_new(act_actor *self);
void sum_free(sum_state *st);
void sum_take_update(sum_state *st, sum_update *in);
int sum_take_ack(sum_state *st, const sum_ack *a);
void sum_set_master(sum_state *st, const act_pid *master); /* NULL or id "": paused */
void sum_forget_framework(sum_state *st, const char *framework_id);

/* ---- gc (gc.c); sandboxes are served by the runtime's "files" actor (act_files_*) ------ */

#define GC_ACTOR "gc"
#define GC_MSG_SCHEDULE "gc.schedule"     /* gc_path: remove path after delay */
#define GC_MSG_UNSCHEDULE "gc.unschedule" /* gc_path (path only) */

typedef struct gc_path {
    char *path;
    double delay;           /* seconds on the runtime clock */
} gc_path;
void gc_path_free(void *p);

/* Spawns "gc": removes scheduled paths when due, and sooner when the disk of `work_dir` is
 * fuller (checked every disk_watch_interval): paths older than
 * gc_delay * max(0, 1 - headroom - usage) go at once (Mesos' formula; headroom is
 * --gc_disk_headroom, 0.1 by default; out of 0..1 it is 0.1). */
act_pid gc_spawn(const char *work_dir, double gc_delay, double headroom,
                 double disk_watch_interval, int loop);

#endif /* SLAVE_SLAVE_INT_H */
