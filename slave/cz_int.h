/*
 * cz_int.h - what the containerizer's files share (containerizer.c, launcher.c, cz_watch.c,
 * fetcher.c, monitor.c); the public contract is the "containerizer" section of slave_int.h,
 * the isolators' is isolator_int.h. The actor runs on a loop and never blocks: fetching and
 * forking happen on a launch thread, killing a container's cgroup on a thread of its own,
 * exits and isolator notifications are noticed by one watcher thread polling fds; all report
 * back by act_dispatch.
 */
#ifndef SLAVE_CZ_INT_H
#define SLAVE_CZ_INT_H

#include "slave/isolator_int.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#define CZ_MONITOR_ACTOR "monitor"

/* ---- launch thread (launcher.c) ---------------------------------------------------------- */

/* One launch in flight: the thread owns `launch` until it posts the job back with
 * act_dispatch(owner, done, job); the actor then owns the job (free with cz__job_free). */
typedef struct cz_job {
    cz_launch *launch;     /* owned */
    iso_plan plan;         /* what the child does before exec; owned */
    act_pid owner;         /* the containerizer */
    act_fn done;           /* run in the containerizer with the job */
    atomic_bool cancelled; /* set by the actor on destroy: do not fork */
    pthread_t thread;
    /* results */
    pid_t pid;             /* > 0: running; 0: failed (message says why) */
    proc_identity identity; /* the executor's, read right after the fork */
    int pidfd;             /* for pid, or -1 */
    char message[512];
    /* Optional: runs on the thread after the fetch, before the fork (the Docker containerizer
     * pulls its image here). Returns 0, or -errno with job->message set; it may watch
     * `cancelled`. ctx is the caller's and outlives the job. */
    int (*prepare)(struct cz_job *job, int log_fd);
    void *ctx;
} cz_job;

/* Starts the launch thread for job. Returns 0 or -errno (then nothing runs and the caller
 * still owns job). */
int cz__job_start(cz_job *job);
/* Frees the job, its launch and its plan; closes pidfd if still open. NULL is ignored. */
void cz__job_free(cz_job *job);

/* pidfd_open(2). Returns the fd or -errno. */
int cz__pidfd_open(pid_t pid);

/* ---- what every containerizer does alike (cz_common.c) ----------------------------------- */

/* Posts a cz_result named `name` (CZ_MSG_LAUNCHED or CZ_MSG_TERMINATED) to `to`; logged
 * instead when `to` is none. limited: it ended for a limit it hit (the message says which). */
void cz__reply(act_actor *self, const act_pid *to, const char *container_id, const char *name,
               pid_t pid, int status, bool limited, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* "Executor exited with status 3", "Executor terminated by signal 9 (Killed)" ... for a wait
 * status (-1: unknown, not our child). */
void cz__describe_status(int status, char *buf, size_t n);

/* Threads a containerizer started and joins when they report back, or all at its end. */
typedef struct cz_threads {
    pthread_t *v;
    size_t n, cap;
} cz_threads;
void cz__threads_add(cz_threads *t, pthread_t thread);
void cz__threads_join(cz_threads *t, pthread_t thread);
void cz__threads_join_all(cz_threads *t);   /* and frees the list */

/* A launch that finished after its containerizer ended: nobody would watch what it started,
 * so it is killed and reaped, and the job freed. */
void cz__job_orphaned(cz_job *job);

/* ---- watcher (cz_watch.c) ---------------------------------------------------------------- */

/* An exit, posted to the owner: status is the wait status for our children, -1 otherwise. */
typedef struct cz_exit {
    char container_id[WIRE_UUID_STRLEN];
    pid_t pid;
    int status;
} cz_exit;

/* An isolator's fd fired, posted to the owner (once; the fd is closed). */
typedef struct cz_notify {
    char container_id[WIRE_UUID_STRLEN];
    int isolator;          /* its index in the set */
} cz_notify;

typedef struct cz_watcher cz_watcher;

/* Starts the watcher thread; each exit is delivered as act_dispatch(owner, on_exit, cz_exit*)
 * and each notification as act_dispatch(owner, on_notify, cz_notify*) (the callee frees them
 * with free(), also when run with a NULL actor). Returns NULL on failure (logged). */
cz_watcher *cz__watcher_start(const act_pid *owner, act_fn on_exit, act_fn on_notify);
/* Watches pidfd (taken: the watcher closes it; -1 when pidfd_open is not available: then the
 * process is checked every 100 ms) for the exit of the process `id` names. child: we forked
 * it, so its status is collected with waitpid. When it is gone, what is left of its group is
 * killed (through proc_kill). Returns 0 or -errno (pidfd is closed then). */
int cz__watcher_add(cz_watcher *w, int pidfd, const proc_identity *id, bool child,
                    const char *container_id);
/* Watches fd (taken) for `events` on behalf of isolator number `index` of the container: when
 * they occur, the notification is posted once and fd closed. Returns 0 or -errno. */
int cz__watcher_add_fd(cz_watcher *w, int fd, short events, const char *container_id,
                       int index);
/* Watches a recovered executor (not our child) while `id` still names it, pinned with a pidfd
 * and checked again once pinned. Returns 0, or -ESRCH / -ESTALE (or the watcher's error) with
 * why it is not watched ("is not running" ...) in why. */
int cz__watch_recovered(cz_watcher *w, const proc_identity *id, const char *container_id,
                        char *why, size_t n);
/* Drops (and closes) the container's notification fds. */
void cz__watcher_forget(cz_watcher *w, const char *container_id);
/* Stops and joins the thread, closing every pidfd still watched. NULL is ignored. */
void cz__watcher_stop(cz_watcher *w);

/* ---- fetcher (fetcher.c) ----------------------------------------------------------------- */

/* Fetches every URI into `directory` as Mesos' fetcher does; progress lines are appended to
 * `log_fd` (the sandbox's stderr; -1 for none). ids name the container for log lines.
 * Returns 0, or -errno with the reason in err (the first URI that failed). Blocks. */
int cz__fetch(const wire_command_uri *uris, size_t n, const char *directory,
              const char *frameworks_home, int log_fd, const char *ids, char *err,
              size_t errlen);

/* ---- usage and monitor (monitor.c) ------------------------------------------------------- */

/* A running container as the monitor shows it. */
typedef struct cz_stat_view {
    const char *container_id, *executor_id, *executor_name, *framework_id, *source;
    pid_t pid;
    const res_set *resources;  /* cpus_limit and mem_limit_bytes come from these */
    cz_stats stats;            /* what its isolators measured */
} cz_stat_view;

/* Writes one element of /monitor/statistics.json for v (Mesos 0.22's format). */
void cz__stats_json(act_json *j, const cz_stat_view *v);

/* Walks a containerizer's running containers (in its context). */
typedef void (*cz_view_fn)(const cz_stat_view *v, void *ctx);
typedef void (*cz_each_fn)(act_actor *cz, cz_view_fn fn, void *ctx);
void cz__each_container(act_actor *cz, cz_view_fn fn, void *ctx);   /* containerizer.c */
void dz__each_container(act_actor *dz, cz_view_fn fn, void *ctx);   /* docker_containerizer.c */

/* A containerizer whose containers the monitor lists. */
typedef struct cz_source {
    act_pid pid;
    cz_each_fn each;
} cz_source;

/* Spawns "monitor" (route statistics.json) listing the containers of each source in turn,
 * measuring at most once per `interval` seconds. Returns 0 or -errno. */
int cz__monitor_spawn(const cz_source *sources, size_t n, double interval, int loop);

/* ---- the Docker containerizer (docker_containerizer.c) ----------------------------------- */

/* Spawns "docker-containerizer" on `loop` after checking that `docker version` reaches a
 * daemon (blocking). Returns its pid, or none with the reason in err. */
act_pid dz__spawn(const dz_config *cfg, int loop, char *err, size_t errlen);

#endif /* SLAVE_CZ_INT_H */
