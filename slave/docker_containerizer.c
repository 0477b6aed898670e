/*
 * docker_containerizer.c - the "docker-containerizer" actor (Mesos 0.22's DockerContainerizer,
 * with the docker executor of 0.23 for command tasks): executors whose ContainerInfo is DOCKER
 * run in containers named mesos-<container id>, labelled with the slave's work_dir.
 *
 * A launch runs on the launch thread (launcher.c): the fetch, then the image pulled unless
 * present (its output in the sandbox, a failure in Mesos' words, cancelled by a destroy, all of
 * it within the slave's executor registration timeout), then the fork of the executor process,
 * checkpointed with its identity like any executor: for a command task mesos-docker-executor,
 * which runs `docker run` itself; for an executor in an image the attached `docker run` client
 * of its container. Exits are watched as for every executor (cz_watch.c). Once the executor
 * process is gone the container is stopped (`docker stop -t --docker_stop_timeout`) before the
 * termination is reported, and removed --docker_remove_delay later. A destroy signals the
 * executor process as the Mesos containerizer does (SIGTERM, SIGKILL after the grace, both
 * through proc_kill) or cancels the launch. Recovery adopts the checkpointed executors it is
 * given, then stops and removes the mesos- containers of this slave that no executor owns.
 * Usage comes from the cgroups the daemon put the container in (cgroups_int.h); resources that
 * change as tasks join or leave an executor in an image become `docker update`. Every docker
 * command runs on a thread of its own that reports back by act_dispatch.
 */
#include "docker/docker.h"
#include "slave/cgroups_int.h"
#include "slave/cz_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME_MAX_LEN (sizeof DOCKER_NAME_PREFIX + WIRE_UUID_STRLEN)

typedef struct dcontainer {
    char id[WIRE_UUID_STRLEN];
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    char name[NAME_MAX_LEN];        /* mesos-<id> */
    char *executor_name, *source;   /* for statistics.json */
    char *link;                     /* a ':'-free path to the sandbox, or NULL */
    act_pid requester;              /* gets LAUNCHED and TERMINATED */
    res_set resources;
    cz_job *job;                    /* while launching; the thread owns it until done */
    pid_t pid;                      /* the executor process, > 0 once running */
    proc_identity identity;
    bool destroying;
    bool silent;                    /* a cancelled launch: its end is not reported */
    bool ended;                     /* the executor process is gone: the container is stopping */
    int status;                     /* then its wait status ... */
    char how[256];                  /* ... and how it ended */
    act_timer_id kill_timer;
    char cg_cpu[PATH_MAX];          /* its cpuacct (v2: its only) cgroup and its memory cgroup, */
    char cg_mem[PATH_MAX];          /* for usage, once docker inspect found its process */
    bool cg_known, cg_looking;
    uint64_t shares, memory;        /* the limits docker has for it */
    uint64_t memory_asked;          /* the highest memory limit its resources ever asked for */
    bool updating;                  /* a docker update is on its way ... */
    bool update_pending;            /* ... or waits for it (or for the launch) */
} dcontainer;

typedef struct dz {
    char *docker, *sandbox_directory, *work_dir;
    double remove_delay, stop_timeout;
    act_map *containers;            /* id -> dcontainer (owned) */
    act_map *removals;              /* name -> the name (owned): rm after remove_delay */
    cg_layout layout;               /* the cgroups the daemon's containers are in, */
    bool has_layout;                /* when this machine has them */
    cz_watcher *watcher;
    cz_threads threads;
    act_counter *launches, *launch_failures;
} dz;

void dz_config_default(dz_config *c)
{
    memset(c, 0, sizeof *c);
    c->docker = "docker";
    c->sandbox_directory = "/mnt/mesos/sandbox";
    c->remove_delay = 6 * 3600;
    c->stop_timeout = 0;
    c->work_dir = "/tmp/mesos";
    c->cgroups_hierarchy = "/sys/fs/cgroup";
}

/* ---- docker commands on threads ---------------------------------------------------------- */

typedef enum op_kind {
    OP_STOP,        /* the executor ended: stop its container */
    OP_REMOVE,      /* docker rm -f, after the remove delay or a failed launch */
    OP_LIST,        /* after recovery: this slave's mesos- containers */
    OP_ORPHANS,     /* stop and remove those nobody owns */
    OP_INSPECT,     /* find a container's cgroups */
    OP_UPDATE,      /* docker update: its new cpu shares and memory limit */
} op_kind;

typedef struct dz_op {
    op_kind kind;
    act_pid owner;
    const dz *s;                    /* its immutable flags; the actor joins us before it ends */
    pthread_t thread;
    char container_id[WIRE_UUID_STRLEN];
    char name[NAME_MAX_LEN];
    docker_args names;              /* OP_LIST found, OP_ORPHANS removes */
    int rc;
    char err[2048];
    char cg_cpu[PATH_MAX], cg_mem[PATH_MAX]; /* OP_INSPECT found them */
    uint64_t shares, memory;        /* OP_UPDATE sets them (0: unchanged) */
} dz_op;

static void op_done(act_actor *self, void *arg);

static void list_one(void *ctx, const char *id, const char *name)
{
    docker_args_push(ctx, name);
}

static void run_op(dz_op *op)
{
    const dz *s = op->s;
    docker_container c;
    switch (op->kind) {
    case OP_STOP:
        op->rc = docker_stop(s->docker, op->name, s->stop_timeout, op->err, sizeof op->err);
        break;
    case OP_REMOVE: op->rc = docker_rm(s->docker, op->name, true, op->err, sizeof op->err); break;
    case OP_LIST:
        op->rc = docker_ps(s->docker, s->work_dir, list_one, &op->names, op->err,
                           sizeof op->err);
        break;
    case OP_ORPHANS:
        for (size_t i = 0; i < op->names.n; i++) {
            char err[2048];
            LOG_INFO("Stopping and removing container %s: no executor of this slave owns it",
                     op->names.v[i]);
            if (docker_stop(s->docker, op->names.v[i], s->stop_timeout, err, sizeof err) != 0)
                LOG_WARNING("%s", err);
            if (docker_rm(s->docker, op->names.v[i], true, err, sizeof err) != 0)
                LOG_WARNING("%s", err);
        }
        break;
    case OP_INSPECT:
        op->rc = docker_inspect(s->docker, op->name, &c, op->err, sizeof op->err);
        if (op->rc == 0 && !(c.running && c.pid > 0)) op->rc = -ESRCH;
        if (op->rc == 0)
            op->rc = cg_of_pid(&s->layout, CG_CPUACCT, c.pid, op->cg_cpu, sizeof op->cg_cpu);
        if (op->rc == 0)
            op->rc = cg_of_pid(&s->layout, CG_MEMORY, c.pid, op->cg_mem, sizeof op->cg_mem);
        break;
    case OP_UPDATE:
        op->rc = docker_update(s->docker, op->name, op->shares, op->memory, op->err,
                               sizeof op->err);
        break;
    }
}

static void *op_thread(void *arg)
{
    dz_op *op = arg;
    run_op(op);
    act_dispatch(&op->owner, op_done, op);
    return NULL;
}

static void op_free(dz_op *op)
{
    docker_args_free(&op->names);
    free(op);
}

static void op_handle(act_actor *self, dz_op *op);

/* A docker command for the container container_id named `name` (either may be NULL). */
static dz_op *op_new(act_actor *self, op_kind kind, const char *container_id, const char *name)
{
    dz_op *op = act_calloc(1, sizeof *op);
    op->kind = kind;
    op->owner = act_self(self);
    op->s = act_state(self);
    snprintf(op->container_id, sizeof op->container_id, "%s", container_id ? container_id : "");
    snprintf(op->name, sizeof op->name, "%s", name ? name : "");
    return op;
}

/* Runs op on a thread of its own. Its result is handled on the actor, as if the command had
 * failed when no thread can be started. */
static void op_run(act_actor *self, dz_op *op)
{
    dz *s = act_state(self);
    int rc = pthread_create(&op->thread, NULL, op_thread, op);
    if (rc == 0) {
        cz__threads_add(&s->threads, op->thread);
        return;
    }
    op->rc = -rc;
    snprintf(op->err, sizeof op->err, "Cannot start a thread for docker: %s", strerror(rc));
    op_handle(self, op);
}

/* op_new and op_run in one; names (taken) for OP_ORPHANS. */
static void op_start(act_actor *self, op_kind kind, const char *container_id, const char *name,
                     docker_args *names)
{
    dz_op *op = op_new(self, kind, container_id, name);
    if (names) op->names = *names;
    op_run(self, op);
}

/* ---- containers -------------------------------------------------------------------------- */

static dcontainer *container_new(dz *s, const char *id, const char *fid, const char *eid,
                                 const act_pid *requester, const res_set *resources)
{
    dcontainer *c = act_calloc(1, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->framework_id, sizeof c->framework_id, "%s", fid);
    snprintf(c->executor_id, sizeof c->executor_id, "%s", eid);
    snprintf(c->name, sizeof c->name, "%s%s", DOCKER_NAME_PREFIX, id);
    c->requester = *requester;
    res_copy(&c->resources, resources);
    c->shares = docker_cpu_shares(resources);
    c->memory = c->memory_asked = docker_memory_limit(resources);
    act_map_put(s->containers, c->id, c);
    return c;
}

static void container_free(dcontainer *c)
{
    if (c->link) unlink(c->link);
    free(c->link);
    free(c->executor_name);
    free(c->source);
    res_free(&c->resources);
    free(c);
}

static void container_remove(act_actor *self, dcontainer *c)
{
    dz *s = act_state(self);
    act_map_remove(s->containers, c->id);
    if (c->kill_timer) act_cancel(self, c->kill_timer);
    container_free(c);
}

void dz__each_container(act_actor *self, cz_view_fn fn, void *ctx)
{
    dz *s = act_state(self);
    dcontainer *c;
    for (size_t it = 0; act_map_next(s->containers, &it, NULL, (void **)&c);) {
        if (c->pid <= 0 || c->silent || c->ended) continue;
        if (s->has_layout && !c->cg_known && !c->cg_looking) {
            c->cg_looking = true;
            op_start(self, OP_INSPECT, c->id, c->name, NULL);
        }
        cz_stat_view v = {c->id, c->executor_id, c->executor_name, c->framework_id, c->source,
                          c->pid, &c->resources, {0}};
        if (c->cg_known) {
            cg_cpu_usage(&s->layout, c->cg_cpu, true, &v.stats);
            cg_mem_usage(&s->layout, c->cg_mem, &v.stats);
        }
        fn(&v, ctx);
    }
}

/* ---- the end of a container -------------------------------------------------------------- */

static void remove_later(act_actor *self, void *arg)
{
    dz *s = act_state(self);
    char *name = act_map_remove(s->removals, arg);
    if (!name) return;
    op_start(self, OP_REMOVE, NULL, name, NULL);
    free(name);
}

/* Its executor is gone: stop the container; the termination is reported once it stopped. */
static void container_ended(act_actor *self, dcontainer *c, int status, const char *how)
{
    c->ended = true;
    c->status = status;
    snprintf(c->how, sizeof c->how, "%s", how);
    if (c->kill_timer) act_cancel(self, c->kill_timer);
    c->kill_timer = 0;
    op_start(self, OP_STOP, c->id, c->name, NULL);
}

static void stopped(act_actor *self, dz_op *op)
{
    dz *s = act_state(self);
    dcontainer *c = act_map_get(s->containers, op->container_id);
    if (!c) return;
    if (op->rc != 0 && !strstr(op->err, "No such container"))
        LOG_WARNING("Container %s of executor '%s' of framework %s may still run: %s", c->name,
                    c->executor_id, c->framework_id, op->err);
    LOG_INFO("Container %s of executor '%s' of framework %s is gone: %s", c->name,
             c->executor_id, c->framework_id, c->how);
    if (!c->silent)
        cz__reply(self, &c->requester, c->id, CZ_MSG_TERMINATED, c->pid, c->status, false, "%s",
                  c->how);
    if (!act_map_get(s->removals, c->name)) {
        char *name = act_strdup(c->name);
        act_map_put(s->removals, name, name);
        act_delay(self, s->remove_delay, remove_later, name);
    }
    container_remove(self, c);
}

static void on_executor_exit(act_actor *self, void *arg)
{
    cz_exit *ev = arg;
    dcontainer *c = self ? act_map_get(((dz *)act_state(self))->containers, ev->container_id)
                         : NULL;
    if (c && c->pid == ev->pid && !c->ended) {
        char how[256];
        cz__describe_status(ev->status, how, sizeof how);
        container_ended(self, c, ev->status, how);
    }
    free(ev);
}

/* ---- recovery: orphans ------------------------------------------------------------------- */

/* The listed containers nobody owns now (a launch since the listing has a new name). */
static void listed(act_actor *self, dz_op *op)
{
    dz *s = act_state(self);
    if (op->rc < 0) {
        LOG_WARNING("Cannot list this slave's Docker containers: %s", op->err);
        return;
    }
    docker_args orphans = {0};
    for (size_t i = 0; i < op->names.n; i++) {
        const char *id = op->names.v[i] + strlen(DOCKER_NAME_PREFIX);
        if (!act_map_get(s->containers, id)) docker_args_push(&orphans, op->names.v[i]);
    }
    if (orphans.n) op_start(self, OP_ORPHANS, NULL, NULL, &orphans);
    else docker_args_free(&orphans);
}

static void op_done(act_actor *self, void *arg)
{
    dz_op *op = arg;
    if (!self) { /* the actor ended and joined the thread */
        op_free(op);
        return;
    }
    cz__threads_join(&((dz *)act_state(self))->threads, op->thread);
    op_handle(self, op);
}

static void apply_resources(act_actor *self, dcontainer *c);

/* What a docker command found, on the actor; frees op. */
static void op_handle(act_actor *self, dz_op *op)
{
    dz *s = act_state(self);
    dcontainer *c = op->container_id[0] ? act_map_get(s->containers, op->container_id) : NULL;
    switch (op->kind) {
    case OP_STOP: stopped(self, op); break;
    case OP_REMOVE:
        if (op->rc != 0 && !strstr(op->err, "No such container")) LOG_WARNING("%s", op->err);
        break;
    case OP_LIST: listed(self, op); break;
    case OP_ORPHANS: break;
    case OP_INSPECT:
        if (c) {
            c->cg_looking = false;
            c->cg_known = op->rc == 0;
            memcpy(c->cg_cpu, op->cg_cpu, sizeof c->cg_cpu);
            memcpy(c->cg_mem, op->cg_mem, sizeof c->cg_mem);
        }
        break;
    case OP_UPDATE:
        if (op->rc != 0 && !strstr(op->err, "No such container"))
            LOG_WARNING("Cannot update the limits of container %s: %s", op->name, op->err);
        if (c) c->updating = false;
        if (c && c->update_pending && !c->ended) apply_resources(self, c);
        break;
    }
    op_free(op);
}

/* ---- update ------------------------------------------------------------------------------ */

/* Brings docker's limits to the container's resources, one `docker update` at a time: the
 * shares follow the latest resources both ways, the memory limit only goes up, as Mesos'
 * DockerContainerizer::update does (what runs may not fit a lower one), to the highest any
 * resources asked for, also those that came and went while an update was on its way (a task
 * that joined and left meanwhile may still hold that memory). */
static void apply_resources(act_actor *self, dcontainer *c)
{
    if (c->job || c->updating) {
        c->update_pending = true; /* once it runs, or once the update on its way is done */
        return;
    }
    c->update_pending = false;
    uint64_t shares = docker_cpu_shares(&c->resources), memory = c->memory_asked;
    if (shares == c->shares && memory <= c->memory) return;
    dz_op *op = op_new(self, OP_UPDATE, c->id, c->name);
    op->shares = c->shares = shares;
    op->memory = memory > c->memory ? memory : 0;
    if (op->memory) c->memory = memory;
    LOG_INFO("Updating container %s of executor '%s' of framework %s: %llu cpu shares%s",
             c->name, c->executor_id, c->framework_id, (unsigned long long)op->shares,
             op->memory ? ", a higher memory limit" : "");
    c->updating = true;
    op_run(self, op);
}

/* Tasks joined or left an executor in an image (the slave sends no update for its own command
 * executors). */
static void on_update(act_actor *self, const act_msg *msg)
{
    dz *s = act_state(self);
    const cz_update *u = msg->obj;
    dcontainer *c = u ? act_map_get(s->containers, u->container_id) : NULL;
    if (!c || c->destroying || c->ended) return;
    res_copy(&c->resources, &u->resources);
    uint64_t memory = docker_memory_limit(&c->resources);
    if (memory > c->memory_asked) c->memory_asked = memory;
    apply_resources(self, c);
}

/* ---- launch ------------------------------------------------------------------------------ */

/* On the launch thread, after the fetch: the image, pulled unless present. */
static int pull(cz_job *job, int log_fd)
{
    const dz *s = job->ctx;
    const wire_executor_info *ei = job->launch->executor->root;
    const wire_docker_info *d = ei->container->docker;
    char out_path[PATH_MAX];
    snprintf(out_path, sizeof out_path, "%s/stdout", job->launch->directory);
    docker_io io = {.out_fd = open(out_path, O_WRONLY | O_APPEND | O_CLOEXEC), .err_fd = log_fd,
                    .home = job->launch->directory, .cancel = &job->cancelled};
    int rc = docker_pull(s->docker, d->image, d->force_pull_image, &io, job->message,
                         sizeof job->message);
    if (io.out_fd >= 0) close(io.out_fd);
    if (rc == -ECANCELED)
        snprintf(job->message, sizeof job->message, "Container destroyed while pulling image");
    return rc;
}

/* The sandbox as docker may mount it: `-v` splits on ':', so a path holding one is reached
 * through a link under <work_dir>/docker/links (as Mesos does). Returns the path to mount. */
static const char *mount_source(dz *s, dcontainer *c, const char *directory)
{
    if (!strchr(directory, ':')) return directory;
    char dir[PATH_MAX], link[PATH_MAX + WIRE_UUID_STRLEN];
    snprintf(dir, sizeof dir, "%s/docker/links", s->work_dir);
    snprintf(link, sizeof link, "%s/%s", dir, c->id);
    unlink(link);
    if (ckpt_mkdirs(dir, 0755) != 0 || symlink(directory, link) != 0) {
        LOG_WARNING("Cannot link %s to %s: %s", link, directory, strerror(errno));
        return directory;
    }
    c->link = act_strdup(link);
    return c->link;
}

/* Replaces the executor's arguments with `args` (copied into its message). */
static void set_arguments(wire_msg *m, wire_command_info *cmd, const docker_args *args)
{
    cmd->arguments = wire_alloc(m, (args->n ? args->n : 1) * sizeof *cmd->arguments);
    for (size_t i = 0; i < args->n; i++) cmd->arguments[i] = wire_strdup(m, args->v[i]);
    cmd->arguments_count = args->n;
}

/* A command task: the slave made mesos-docker-executor its executor; it needs our flags. */
static void add_executor_flags(dz *s, dcontainer *c, cz_launch *l, const char *sandbox)
{
    wire_executor_info *ei = l->executor->root;
    docker_args args = {0};
    for (size_t i = 0; i < ei->command.arguments_count; i++)
        docker_args_push(&args, ei->command.arguments[i]);
    if (args.n == 0) docker_args_push(&args, ei->command.value);
    char dur[64];
    docker_args_pushf(&args, "--docker=%s", s->docker);
    docker_args_pushf(&args, "--container=%s", c->name);
    docker_args_pushf(&args, "--sandbox_directory=%s", sandbox);
    docker_args_pushf(&args, "--mapped_directory=%s", s->sandbox_directory);
    docker_args_pushf(&args, "--stop_timeout=%s",
                      act_duration_format(s->stop_timeout, dur, sizeof dur));
    docker_args_pushf(&args, "--work_dir=%s", s->work_dir);
    set_arguments(l->executor, &ei->command, &args);
    docker_args_free(&args);
}

/* An executor in an image: its process is the attached `docker run` of its container, which
 * gets the executor's environment with the sandbox as the container sees it. */
static int run_in_image(dz *s, dcontainer *c, cz_launch *l, const char *sandbox, char *err,
                        size_t errlen)
{
    wire_executor_info *ei = l->executor->root;
    docker_args env = {0}, args = {0};
    for (char **e = l->env; e && *e; e++) {
        if (strncmp(*e, "MESOS_DIRECTORY=", 16) == 0)
            docker_args_pushf(&env, "MESOS_DIRECTORY=%s", s->sandbox_directory);
        else
            docker_args_push(&env, *e);
    }
    docker_args_push(&args, s->docker);
    docker_run_spec spec = {.container = ei->container, .command = &ei->command,
                            .name = c->name, .sandbox = sandbox,
                            .mapped = s->sandbox_directory, .resources = &l->resources,
                            .env = env.v, .work_dir = s->work_dir};
    int rc = docker_run_args(&spec, &args, err, errlen);
    if (rc == 0) {
        ei->command.has_value = ei->command.has_shell = true;
        ei->command.value = wire_strdup(l->executor, s->docker);
        ei->command.shell = false;
        ei->command.environment = NULL; /* it is the container's, passed with -e */
        set_arguments(l->executor, &ei->command, &args);
    }
    docker_args_free(&env);
    docker_args_free(&args);
    return rc;
}

static void launch_failed(act_actor *self, dcontainer *c, const char *why)
{
    dz *s = act_state(self);
    act_counter_inc(s->launch_failures);
    LOG_ERROR("Failed to launch container %s for executor '%s' of framework %s: %s", c->name,
              c->executor_id, c->framework_id, why);
    cz__reply(self, &c->requester, c->id, CZ_MSG_LAUNCHED, 0, -1, false, "%s", why);
    op_start(self, OP_REMOVE, NULL, c->name, NULL); /* whatever the client may have created */
    container_remove(self, c);
}

static void launch_succeeded(act_actor *self, dcontainer *c, cz_job *job)
{
    dz *s = act_state(self);
    c->pid = job->pid;
    c->identity = job->identity;
    int rc = cz__watcher_add(s->watcher, job->pidfd, &c->identity, true, c->id);
    job->pidfd = -1;
    if (rc != 0) {
        proc_kill(&c->identity, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {}
        char why[128];
        snprintf(why, sizeof why, "Cannot watch the executor: %s", strerror(-rc));
        launch_failed(self, c, why);
        return;
    }
    if (c->destroying) { /* destroyed while the thread was forking: finish it quietly */
        c->silent = true;
        proc_kill(&c->identity, SIGKILL);
        act_counter_inc(s->launch_failures);
        cz__reply(self, &c->requester, c->id, CZ_MSG_LAUNCHED, 0, -1, false,
                  "Container destroyed while launching");
        return;
    }
    act_counter_inc(s->launches);
    LOG_INFO("Launched container %s (executor pid %d) for executor '%s' of framework %s",
             c->name, (int)c->pid, c->executor_id, c->framework_id);
    cz__reply(self, &c->requester, c->id, CZ_MSG_LAUNCHED, c->pid, -1, false, "Launched");
    if (c->update_pending) apply_resources(self, c);
}

static void on_launch_done(act_actor *self, void *arg)
{
    cz_job *job = arg;
    if (!self) {
        cz__job_orphaned(job);
        return;
    }
    dz *s = act_state(self);
    cz__threads_join(&s->threads, job->thread);
    dcontainer *c = act_map_get(s->containers, job->launch->container_id);
    ACT_CHECK(c && c->job == job);
    c->job = NULL;
    if (job->pid > 0) launch_succeeded(self, c, job);
    else launch_failed(self, c, job->message);
    cz__job_free(job);
}

static const char *refusal(dz *s, const cz_launch *l)
{
    if (!l->executor || !l->directory) return "has no executor or sandbox";
    if (act_map_get(s->containers, l->container_id)) return "already exists";
    if (!cz_kind_runs(CZ_DOCKER, l->executor->root)) return "has no Docker ContainerInfo";
    return NULL;
}

static void on_launch(act_actor *self, const act_msg *msg)
{
    dz *s = act_state(self);
    cz_launch *l = msg->obj;
    if (!l) return;
    *msg->obj_taken = true;
    const char *why = refusal(s, l);
    if (why) {
        act_counter_inc(s->launch_failures);
        cz__reply(self, &msg->from, l->container_id, CZ_MSG_LAUNCHED, 0, -1, false,
                  "Container '%s' %s", l->container_id, why);
        cz_launch_free(l);
        return;
    }
    dcontainer *c = container_new(s, l->container_id, l->framework_id, l->executor_id,
                                  &msg->from, &l->resources);
    const wire_executor_info *ei = l->executor->root;
    c->executor_name = act_strdup(ei->name ? ei->name : "");
    c->source = act_strdup(ei->source ? ei->source : "");
    free(l->user); /* the docker client runs as the slave does; the container as its image says */
    l->user = NULL;
    const char *sandbox = mount_source(s, c, l->directory);
    char err[512];
    int rc = 0;
    if (l->command) add_executor_flags(s, c, l, sandbox);
    else rc = run_in_image(s, c, l, sandbox, err, sizeof err);
    cz_job *job = rc == 0 ? act_calloc(1, sizeof *job) : NULL;
    if (job) {
        job->launch = l;
        job->owner = act_self(self);
        job->done = on_launch_done;
        job->prepare = pull;
        job->ctx = s;
        rc = cz__job_start(job);
        if (rc != 0) snprintf(err, sizeof err, "Cannot start the launch thread: %s", strerror(-rc));
    }
    if (rc != 0) {
        if (job) job->launch = NULL;
        free(job);
        cz_launch_free(l);
        launch_failed(self, c, err);
        return;
    }
    c->job = job;
    cz__threads_add(&s->threads, job->thread);
    LOG_INFO("Starting container %s for executor '%s' of framework %s in '%s'", c->name,
             c->executor_id, c->framework_id, c->link ? c->link : job->launch->directory);
}

/* ---- destroy ----------------------------------------------------------------------------- */

static void on_grace_expired(act_actor *self, void *arg)
{
    dcontainer *c = arg;
    c->kill_timer = 0;
    LOG_INFO("Killing the executor of container %s (executor '%s' of framework %s) after the "
             "grace period", c->name, c->executor_id, c->framework_id);
    proc_kill(&c->identity, SIGKILL);
}

static void on_destroy(act_actor *self, const act_msg *msg)
{
    dz *s = act_state(self);
    const cz_destroy *d = msg->obj;
    dcontainer *c = d ? act_map_get(s->containers, d->container_id) : NULL;
    if (!c || c->destroying) {
        LOG_WARNING("Ignoring destroy of %s container %s", c ? "a dying" : "an unknown",
                    d ? d->container_id : "?");
        return;
    }
    c->destroying = true;
    LOG_INFO("Destroying container %s of executor '%s' of framework %s (grace %.3f s)", c->name,
             c->executor_id, c->framework_id, d->grace_seconds);
    if (c->job) {
        atomic_store(&c->job->cancelled, true); /* a pull in progress is killed */
    } else if (!c->ended) {
        proc_kill(&c->identity, d->grace_seconds > 0 ? SIGTERM : SIGKILL);
        if (d->grace_seconds > 0)
            c->kill_timer = act_delay(self, d->grace_seconds, on_grace_expired, c);
    }
}

/* ---- recover ----------------------------------------------------------------------------- */

static void recover_one(act_actor *self, const act_pid *from, const cz_recovered *r)
{
    dz *s = act_state(self);
    if (act_map_get(s->containers, r->container_id)) {
        LOG_WARNING("Ignoring recovery of container %s%s: it is known already",
                    DOCKER_NAME_PREFIX, r->container_id);
        return;
    }
    dcontainer *c = container_new(s, r->container_id, r->framework_id, r->executor_id, from,
                                  &r->resources);
    c->executor_name = act_strdup("");
    c->source = act_strdup("");
    c->identity = r->identity;
    c->pid = r->identity.pid;
    char why[160], how[256];
    if (cz__watch_recovered(s->watcher, &c->identity, c->id, why, sizeof why) == 0) {
        LOG_INFO("Recovered container %s (executor pid %d) of executor '%s' of framework %s",
                 c->name, (int)c->pid, r->executor_id, r->framework_id);
        return;
    }
    snprintf(how, sizeof how, "Executor (pid %d) %s", (int)c->pid, why);
    container_ended(self, c, -1, how);
}

/* Adopts the executors, then lists this slave's containers to remove those nobody owns. */
static void on_recover(act_actor *self, const act_msg *msg)
{
    const cz_recover *r = msg->obj;
    for (size_t i = 0; r && i < r->n; i++) recover_one(self, &msg->from, &r->v[i]);
    op_start(self, OP_LIST, NULL, NULL, NULL);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void dz_init(act_actor *self, void *arg)
{
    dz *s = act_state(self);
    act_pid me = act_self(self);
    s->watcher = cz__watcher_start(&me, on_executor_exit, NULL);
}

/* Leaves executors and containers running (a restarted slave recovers them); cancels the
 * launches still pulling and joins the threads, whose reports then run with no actor. */
static void dz_terminate(act_actor *self, void *arg)
{
    dz *s = arg;
    dcontainer *c;
    for (size_t it = 0; act_map_next(s->containers, &it, NULL, (void **)&c);)
        if (c->job) atomic_store(&c->job->cancelled, true); /* a pull would hold us up */
    cz__threads_join_all(&s->threads);
    cz__watcher_stop(s->watcher);
    for (size_t it = 0; act_map_next(s->containers, &it, NULL, (void **)&c);) container_free(c);
    act_map_free(s->containers);
    char *name;
    for (size_t it = 0; act_map_next(s->removals, &it, NULL, (void **)&name);) free(name);
    act_map_free(s->removals);
    free(s->docker);
    free(s->sandbox_directory);
    free(s->work_dir);
    free(s);
}

act_pid dz__spawn(const dz_config *cfg, int loop, char *err, size_t errlen)
{
    act_pid none;
    memset(&none, 0, sizeof none);
    char why[2048];
    if (docker_version(cfg->docker, why, sizeof why) != 0) {
        snprintf(err, errlen, "Failed to create the Docker containerizer: %s", why);
        return none;
    }
    dz *s = act_calloc(1, sizeof *s);
    s->docker = act_strdup(cfg->docker);
    s->sandbox_directory = act_strdup(cfg->sandbox_directory);
    char real[PATH_MAX]; /* the label names the work_dir the same way however it was given */
    s->work_dir = act_strdup(realpath(cfg->work_dir, real) ? real : cfg->work_dir);
    s->remove_delay = cfg->remove_delay;
    s->stop_timeout = cfg->stop_timeout;
    s->containers = act_map_new();
    s->removals = act_map_new();
    char why_not[512];
    const char *hierarchy = cfg->cgroups_hierarchy ? cfg->cgroups_hierarchy : "/sys/fs/cgroup";
    s->has_layout = cg_layout_detect(hierarchy, &s->layout, why_not, sizeof why_not) == 0;
    if (!s->has_layout)
        LOG_WARNING("The usage of Docker containers will not be measured: %s", why_not);
    s->launches = act_counter_get("containerizer/launches");
    s->launch_failures = act_counter_get("containerizer/launch_failures");
    act_actor *a = act_new(DOCKER_CONTAINERIZER_ACTOR, s);
    act_on_message(a, CZ_MSG_LAUNCH, on_launch);
    act_on_message(a, CZ_MSG_DESTROY, on_destroy);
    act_on_message(a, CZ_MSG_RECOVER, on_recover);
    act_on_message(a, CZ_MSG_UPDATE, on_update);
    act_on_init(a, dz_init, NULL);
    act_on_terminate(a, dz_terminate, s);
    act_pid me = act_self(a);
    if (act_spawn(a, loop) != 0) {
        snprintf(err, errlen, "Cannot spawn the Docker containerizer");
        act_map_free(s->containers);
        act_map_free(s->removals);
        free(s->docker);
        free(s->sandbox_directory);
        free(s->work_dir);
        free(s);
        return none;
    }
    return me;
}
