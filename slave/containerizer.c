/*
 * containerizer.c - the "containerizer" actor (Mesos' MesosContainerizer with the posix
 * launcher and posix isolators): it owns the table of containers, starts a launch thread per
 * CZ_MSG_LAUNCH (fetch + fork, see launcher.c), watches executors through cz_watch.c, destroys
 * process groups with SIGTERM then SIGKILL after a grace period on the runtime clock, and
 * adopts recovered executors. Every signal goes through proc_kill with the executor's
 * identity, so a pid that now names another process is never signalled. Every launch gets
 * exactly one CZ_MSG_LAUNCHED; a launch that succeeded (pid > 0) and every recovered executor
 * later get exactly one CZ_MSG_TERMINATED.
 */
#include "slave/cz_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct container {
    char container_id[WIRE_UUID_STRLEN];
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    char *executor_name, *source;   /* for statistics.json */
    act_pid requester;              /* gets LAUNCHED and TERMINATED */
    res_set resources;
    cz_job *job;                    /* while launching; the thread owns it until done */
    pid_t pid;                      /* > 0 once running */
    proc_identity identity;         /* what proves pid is still the executor */
    bool destroying;
    bool silent;                    /* a cancelled launch: its exit is not reported */
    act_timer_id kill_timer;
} container;

typedef struct cz {
    act_map *containers;            /* container_id -> container (owned) */
    cz_watcher *watcher;
    pthread_t *threads;             /* launch threads not joined yet */
    size_t nthreads, cap;
    act_counter *launches, *launch_failures;
} cz;

/* ---- the contract's free functions ------------------------------------------------------- */

void cz_launch_free(void *p)
{
    cz_launch *l = p;
    if (!l) return;
    free(l->directory);
    wire_msg_free(l->executor);
    free(l->user);
    for (char **e = l->env; e && *e; e++) free(*e);
    free(l->env);
    free(l->pids_dir);
    free(l->frameworks_home);
    res_free(&l->resources);
    free(l);
}

void cz_recover_free(void *p)
{
    cz_recover *r = p;
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].directory);
        res_free(&r->v[i].resources);
    }
    free(r->v);
    free(r);
}

/* ---- containers -------------------------------------------------------------------------- */

static container *container_new(cz *s, const char *cid, const char *fid, const char *eid,
                                const act_pid *requester, const res_set *resources)
{
    container *c = act_calloc(1, sizeof *c);
    snprintf(c->container_id, sizeof c->container_id, "%s", cid);
    snprintf(c->framework_id, sizeof c->framework_id, "%s", fid);
    snprintf(c->executor_id, sizeof c->executor_id, "%s", eid);
    c->requester = *requester;
    res_copy(&c->resources, resources);
    act_map_put(s->containers, c->container_id, c);
    return c;
}

static void container_remove(act_actor *self, container *c)
{
    cz *s = act_state(self);
    act_map_remove(s->containers, c->container_id);
    if (c->kill_timer) act_cancel(self, c->kill_timer);
    free(c->executor_name);
    free(c->source);
    res_free(&c->resources);
    free(c);
}

void cz__each_container(act_actor *self, cz_view_fn fn, void *ctx)
{
    cz *s = act_state(self);
    const char *key;
    void *value;
    for (size_t it = 0; act_map_next(s->containers, &it, &key, &value);) {
        container *c = value;
        if (c->pid <= 0 || c->silent) continue;
        cz_stat_view v = {c->container_id, c->executor_id, c->executor_name,
                          c->framework_id, c->source, c->pid, &c->resources};
        fn(&v, ctx);
    }
}

/* ---- replies ----------------------------------------------------------------------------- */

static void reply(act_actor *self, const container *c, const char *name, pid_t pid,
                  int status, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void reply(act_actor *self, const container *c, const char *name, pid_t pid,
                  int status, const char *fmt, ...)
{
    cz_result *r = act_calloc(1, sizeof *r);
    memcpy(r->container_id, c->container_id, sizeof r->container_id);
    r->pid = pid;
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    if (act_pid_is_none(&c->requester)) {
        LOG_WARNING("Nobody to tell %s for container %s: %s", name, c->container_id, r->message);
        free(r);
        return;
    }
    act_post(self, &c->requester, name, r, free);
}

/* "Executor exited with status 3" / "Executor terminated by signal 9 (Killed)" */
static void describe_status(int status, char *buf, size_t n)
{
    if (status == -1)
        snprintf(buf, n, "Executor exited (status unknown: it is not our child)");
    else if (WIFEXITED(status))
        snprintf(buf, n, "Executor exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "Executor terminated by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "Executor ended with wait status %d", status);
}

/* ---- launch ------------------------------------------------------------------------------ */

static void threads_add(cz *s, pthread_t t)
{
    if (s->nthreads == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->threads = act_realloc(s->threads, s->cap * sizeof *s->threads);
    }
    s->threads[s->nthreads++] = t;
}

static void threads_join(cz *s, pthread_t t)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        if (!pthread_equal(s->threads[i], t)) continue;
        s->threads[i] = s->threads[--s->nthreads];
        pthread_join(t, NULL);
        return;
    }
}

/* The containerizer is gone: nobody will watch what the thread started. */
static void job_orphaned(cz_job *job)
{
    if (job->pid > 0) {
        proc_kill(&job->identity, SIGKILL);
        while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    cz__job_free(job);
}

static void launch_succeeded(act_actor *self, container *c, cz_job *job)
{
    cz *s = act_state(self);
    c->pid = job->pid;
    c->identity = job->identity;
    int rc = cz__watcher_add(s->watcher, job->pidfd, &c->identity, true, c->container_id);
    job->pidfd = -1;
    if (rc != 0) {
        /* Without a watcher nobody would reap it: take it back. */
        proc_kill(&c->identity, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {}
        act_counter_inc(s->launch_failures);
        reply(self, c, CZ_MSG_LAUNCHED, 0, -1, "Cannot watch the executor: %s", strerror(-rc));
        container_remove(self, c);
        return;
    }
    if (c->destroying) {
        /* Destroyed while the thread was forking: finish it quietly. */
        c->silent = true;
        proc_kill(&c->identity, SIGKILL);
        act_counter_inc(s->launch_failures);
        reply(self, c, CZ_MSG_LAUNCHED, 0, -1, "Container destroyed while launching");
        return;
    }
    act_counter_inc(s->launches);
    LOG_INFO("Launched container %s (pid %d) for executor '%s' of framework %s",
             c->container_id, (int)c->pid, c->executor_id, c->framework_id);
    reply(self, c, CZ_MSG_LAUNCHED, c->pid, -1, "Launched");
}

static void on_launch_done(act_actor *self, void *arg)
{
    cz_job *job = arg;
    if (!self) {
        job_orphaned(job);
        return;
    }
    cz *s = act_state(self);
    threads_join(s, job->thread);
    container *c = act_map_get(s->containers, job->launch->container_id);
    ACT_CHECK(c && c->job == job);
    c->job = NULL;
    if (job->pid > 0) {
        launch_succeeded(self, c, job);
    } else {
        act_counter_inc(s->launch_failures);
        LOG_ERROR("Failed to launch container %s for executor '%s' of framework %s: %s",
                  c->container_id, c->executor_id, c->framework_id, job->message);
        reply(self, c, CZ_MSG_LAUNCHED, 0, -1, "%s", job->message);
        container_remove(self, c);
    }
    cz__job_free(job);
}

static void on_launch(act_actor *self, const act_msg *msg)
{
    cz *s = act_state(self);
    cz_launch *l = msg->obj;
    if (!l) return;
    *msg->obj_taken = true;
    const char *refusal = !l->executor || !l->directory ? "has no executor or sandbox"
                          : act_map_get(s->containers, l->container_id) ? "already exists"
                                                                         : NULL;
    if (refusal) {
        container bad = {.requester = msg->from};
        memcpy(bad.container_id, l->container_id, sizeof bad.container_id);
        act_counter_inc(s->launch_failures);
        reply(self, &bad, CZ_MSG_LAUNCHED, 0, -1, "Container '%s' %s", l->container_id,
              refusal);
        cz_launch_free(l);
        return;
    }
    container *c = container_new(s, l->container_id, l->framework_id, l->executor_id,
                                 &msg->from, &l->resources);
    const wire_executor_info *ei = l->executor->root;
    c->executor_name = act_strdup(ei->name ? ei->name : "");
    c->source = act_strdup(ei->source ? ei->source : "");
    cz_job *job = act_calloc(1, sizeof *job);
    job->launch = l;
    job->owner = act_self(self);
    job->done = on_launch_done;
    int rc = cz__job_start(job);
    if (rc != 0) {
        act_counter_inc(s->launch_failures);
        reply(self, c, CZ_MSG_LAUNCHED, 0, -1, "Cannot start the launch thread: %s",
              strerror(-rc));
        container_remove(self, c);
        cz__job_free(job);
        return;
    }
    c->job = job;
    threads_add(s, job->thread);
    LOG_INFO("Starting container %s for executor '%s' of framework %s in '%s'",
             c->container_id, c->executor_id, c->framework_id, l->directory);
}

/* ---- exits and destroy ------------------------------------------------------------------- */

static void on_executor_exit(act_actor *self, void *arg)
{
    cz_exit *ev = arg;
    container *c = self ? act_map_get(((cz *)act_state(self))->containers, ev->container_id)
                        : NULL;
    if (c && c->pid == ev->pid) {
        char why[256];
        describe_status(ev->status, why, sizeof why);
        LOG_INFO("Container %s of executor '%s' of framework %s (pid %d) is gone: %s",
                 c->container_id, c->executor_id, c->framework_id, (int)c->pid, why);
        if (!c->silent) reply(self, c, CZ_MSG_TERMINATED, c->pid, ev->status, "%s", why);
        container_remove(self, c);
    }
    free(ev);
}

static void on_grace_expired(act_actor *self, void *arg)
{
    container *c = arg;
    c->kill_timer = 0;
    LOG_INFO("Killing container %s of executor '%s' of framework %s after the grace period",
             c->container_id, c->executor_id, c->framework_id);
    proc_kill(&c->identity, SIGKILL);
}

static void on_destroy(act_actor *self, const act_msg *msg)
{
    cz *s = act_state(self);
    const cz_destroy *d = msg->obj;
    container *c = d ? act_map_get(s->containers, d->container_id) : NULL;
    if (!c || c->destroying) {
        LOG_WARNING("Ignoring destroy of %s container %s", c ? "a dying" : "an unknown",
                    d ? d->container_id : "?");
        return;
    }
    c->destroying = true;
    LOG_INFO("Destroying container %s of executor '%s' of framework %s (grace %.3f s)",
             c->container_id, c->executor_id, c->framework_id, d->grace_seconds);
    if (c->job) {
        atomic_store(&c->job->cancelled, true);
        return;
    }
    if (d->grace_seconds <= 0) {
        proc_kill(&c->identity, SIGKILL);
        return;
    }
    proc_kill(&c->identity, SIGTERM);
    c->kill_timer = act_delay(self, d->grace_seconds, on_grace_expired, c);
}

/* ---- recover ----------------------------------------------------------------------------- */

static void recover_one(act_actor *self, const act_pid *from, const cz_recovered *r)
{
    cz *s = act_state(self);
    if (act_map_get(s->containers, r->container_id)) {
        LOG_WARNING("Ignoring recovery of container %s of executor '%s' of framework %s: "
                    "it is known already", r->container_id, r->executor_id, r->framework_id);
        return;
    }
    container *c = container_new(s, r->container_id, r->framework_id, r->executor_id, from,
                                 &r->resources);
    c->executor_name = act_strdup("");
    c->source = act_strdup("");
    c->identity = r->identity;
    c->pid = r->identity.pid;
    int alive = proc_identity_check(&r->identity);
    int fd = alive == 0 ? cz__pidfd_open(c->pid) : alive;
    if (fd == -ENOSYS) fd = -1; /* polled through its identity */
    if (fd >= 0 && (alive = proc_identity_check(&r->identity)) != 0) { /* now pinned: again */
        close(fd);
        fd = alive;
    }
    if (fd >= -1 && cz__watcher_add(s->watcher, fd, &c->identity, false, c->container_id) == 0) {
        LOG_INFO("Recovered container %s (pid %d) of executor '%s' of framework %s",
                 c->container_id, (int)c->pid, r->executor_id, r->framework_id);
        return;
    }
    const char *why = alive == -ESTALE ? "is not the executor any more (the pid names another "
                                         "process, or the machine rebooted)" : "is not running";
    LOG_INFO("Recovered container %s of executor '%s' of framework %s: pid %d %s",
             c->container_id, r->executor_id, r->framework_id, (int)c->pid, why);
    reply(self, c, CZ_MSG_TERMINATED, c->pid, -1, "Executor (pid %d) %s", (int)c->pid, why);
    container_remove(self, c);
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    const cz_recover *r = msg->obj;
    for (size_t i = 0; r && i < r->n; i++) recover_one(self, &msg->from, &r->v[i]);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void cz_init(act_actor *self, void *arg)
{
    cz *s = act_state(self);
    act_pid me = act_self(self);
    s->watcher = cz__watcher_start(&me, on_executor_exit);
}

/* Leaves executors running (a restarted slave recovers them); joins launch threads, whose
 * results then go to on_launch_done(NULL, job). */
static void cz_terminate(act_actor *self, void *arg)
{
    cz *s = arg;
    for (size_t i = 0; i < s->nthreads; i++) pthread_join(s->threads[i], NULL);
    free(s->threads);
    cz__watcher_stop(s->watcher);
    const char *key;
    void *value;
    for (size_t it = 0; act_map_next(s->containers, &it, &key, &value);) {
        container *c = value;
        free(c->executor_name);
        free(c->source);
        res_free(&c->resources);
        free(c);
    }
    act_map_free(s->containers);
    free(s);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

act_pid containerizer_spawn(int loop)
{
    act_pid none;
    memset(&none, 0, sizeof none);
    pthread_once(&curl_once, curl_setup);
    cz *s = act_calloc(1, sizeof *s);
    s->containers = act_map_new();
    s->launches = act_counter_get("containerizer/launches");
    s->launch_failures = act_counter_get("containerizer/launch_failures");
    act_actor *a = act_new(CONTAINERIZER_ACTOR, s);
    act_on_message(a, CZ_MSG_LAUNCH, on_launch);
    act_on_message(a, CZ_MSG_DESTROY, on_destroy);
    act_on_message(a, CZ_MSG_RECOVER, on_recover);
    act_on_init(a, cz_init, NULL);
    act_on_terminate(a, cz_terminate, s);
    act_pid me = act_self(a);
    if (act_spawn(a, loop) != 0) {
        act_map_free(s->containers);
        free(s);
        return none;
    }
    int rc = cz__monitor_spawn(&me, loop);
    if (rc != 0) LOG_ERROR("Cannot spawn the monitor: %s", act_strerror(rc));
    return me;
}
