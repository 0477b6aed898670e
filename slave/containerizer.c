/*
 * containerizer.c - the "containerizer" actor (Mesos' MesosContainerizer): it owns the table
 * of containers and runs the isolators of --isolation in Mesos' order (isolator_int.h):
 * prepare, then a launch thread per CZ_MSG_LAUNCH (fetch + fork, launcher.c) whose child does
 * what they prepared; update when tasks join or leave; usage for the monitor; a limit an
 * isolator reports (an OOM, a full disk quota) destroys the container and its tasks fail with
 * the isolator's message; cleanup once every process of the container is gone. Executors are
 * watched through cz_watch.c and destroyed with SIGTERM, then SIGKILL after a grace period on
 * the runtime clock. Without containment every signal goes through proc_kill with the
 * executor's identity, so a pid that now names another process is never signalled; with it
 * (the linux launcher) every process in the container's cgroup is killed, on a thread, also
 * those that left the executor's tree, and after a restart the cgroups no recovered container
 * owns are destroyed. Every launch gets exactly one CZ_MSG_LAUNCHED; a launch that succeeded
 * (pid > 0) and every recovered executor later get exactly one CZ_MSG_TERMINATED.
 */
#include "slave/cz_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
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
    iso_container iso;              /* what the isolators see (resources, cgroup, pid) */
    char *directory, *user;         /* iso.directory and iso.user point here */
    cz_job *job;                    /* while launching; the thread owns it until done */
    pid_t pid;                      /* > 0 once running */
    proc_identity identity;         /* what proves pid is still the executor */
    bool prepared;                  /* the isolators prepared it: their cleanup is owed */
    bool update_pending;            /* resources changed while it was launching */
    bool destroying;
    bool silent;                    /* a cancelled launch: its exit is not reported */
    bool exited;                    /* the executor is gone; status is how it ended */
    int status;
    int killers;                    /* threads killing its cgroup */
    char *limitation;               /* the limit it hit (an isolator's message), or NULL */
    act_timer_id kill_timer;
} container;

typedef struct cz {
    act_map *containers;            /* container_id -> container (owned) */
    cz_watcher *watcher;
    cz_threads threads;             /* launch and kill threads not joined yet */
    act_counter *launches, *launch_failures;
    iso_set iso;
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

void cz_update_free(void *p)
{
    cz_update *u = p;
    if (!u) return;
    res_free(&u->resources);
    free(u);
}

/* ---- containers -------------------------------------------------------------------------- */

static container *container_new(cz *s, const char *cid, const char *fid, const char *eid,
                                const act_pid *requester, const res_set *resources,
                                const char *directory)
{
    container *c = act_calloc(1, sizeof *c);
    snprintf(c->container_id, sizeof c->container_id, "%s", cid);
    snprintf(c->framework_id, sizeof c->framework_id, "%s", fid);
    snprintf(c->executor_id, sizeof c->executor_id, "%s", eid);
    c->requester = *requester;
    memcpy(c->iso.container_id, c->container_id, sizeof c->iso.container_id);
    snprintf(c->iso.cgroup, sizeof c->iso.cgroup, "%s/%s", s->iso.cfg.cgroups_root, cid);
    res_copy(&c->iso.resources, resources);
    c->directory = act_strdup(directory ? directory : "");
    c->iso.directory = c->directory;
    act_map_put(s->containers, c->container_id, c);
    return c;
}

static void container_free(container *c)
{
    free(c->executor_name);
    free(c->source);
    free(c->directory);
    free(c->user);
    free(c->limitation);
    res_free(&c->iso.resources);
    free(c);
}

static void container_remove(act_actor *self, container *c)
{
    cz *s = act_state(self);
    act_map_remove(s->containers, c->container_id);
    if (c->kill_timer) act_cancel(self, c->kill_timer);
    container_free(c);
}

static container *find(act_actor *self, const char *container_id)
{
    return self ? act_map_get(((cz *)act_state(self))->containers, container_id) : NULL;
}

void cz__each_container(act_actor *self, cz_view_fn fn, void *ctx)
{
    cz *s = act_state(self);
    const char *key;
    void *value;
    for (size_t it = 0; act_map_next(s->containers, &it, &key, &value);) {
        container *c = value;
        if (c->pid <= 0 || c->silent || c->exited) continue;
        cz_stat_view v = {c->container_id, c->executor_id, c->executor_name, c->framework_id,
                          c->source, c->pid, &c->iso.resources, {0}};
        iso_set_usage(&s->iso, &c->iso, &v.stats);
        fn(&v, ctx);
    }
}

/* ---- the end of a container -------------------------------------------------------------- */

/* Asks each isolator whether the container hit its limit (the first message stands). */
static void check_limits(cz *s, container *c)
{
    for (size_t i = 0; i < s->iso.n && !c->limitation; i++) {
        isolator *iso = &s->iso.v[i];
        char msg[sizeof ((cz_result *)0)->message];
        if (iso->ops->limited && iso->ops->limited(iso, &c->iso, msg, sizeof msg))
            c->limitation = act_strdup(msg);
    }
}

/* Every process of the container is gone: the isolators clean up, the requester hears how it
 * ended (the limit it hit, if any), and the container is forgotten. */
static void finish(act_actor *self, container *c)
{
    cz *s = act_state(self);
    cz__watcher_forget(s->watcher, c->container_id);
    if (c->prepared) iso_set_cleanup(&s->iso, &c->iso);
    char why[256];
    cz__describe_status(c->status, why, sizeof why);
    LOG_INFO("Container %s of executor '%s' of framework %s (pid %d) is gone: %s%s%s",
             c->container_id, c->executor_id, c->framework_id, (int)c->pid, why,
             c->limitation ? "; " : "", c->limitation ? c->limitation : "");
    if (!c->silent)
        cz__reply(self, &c->requester, c->container_id, CZ_MSG_TERMINATED, c->pid, c->status,
                  c->limitation != NULL, "%s", c->limitation ? c->limitation : why);
    container_remove(self, c);
}

/* A thread killing every process of a cgroup (a container's, or an orphan's). */
typedef struct kill_job {
    const iso_set *set;
    char container_id[WIRE_UUID_STRLEN]; /* "" for an orphan */
    char cgroup[PATH_MAX];
    bool remove;                          /* orphans: remove the cgroups too */
    act_pid owner;
    pthread_t thread;
    int rc;
} kill_job;

static void on_killed(act_actor *self, void *arg)
{
    kill_job *job = arg;
    if (self) {
        cz__threads_join(&((cz *)act_state(self))->threads, job->thread);
        container *c = job->container_id[0] ? find(self, job->container_id) : NULL;
        if (!job->container_id[0] && job->rc == 0)
            LOG_INFO("Removed orphaned cgroup '%s'", job->cgroup);
        else if (!job->container_id[0])
            LOG_WARNING("Could not remove orphaned cgroup '%s': %s", job->cgroup,
                        strerror(-job->rc));
        if (c && --c->killers == 0 && c->exited) finish(self, c);
    }
    free(job);
}

static void *kill_thread(void *arg)
{
    kill_job *job = arg;
    job->rc = ll_destroy(job->set, job->cgroup, job->remove);
    act_dispatch(&job->owner, on_killed, job);
    return NULL;
}

static void start_kill(act_actor *self, const char *container_id, const char *cgroup,
                       bool remove)
{
    cz *s = act_state(self);
    kill_job *job = act_calloc(1, sizeof *job);
    job->set = &s->iso;
    snprintf(job->container_id, sizeof job->container_id, "%s", container_id);
    snprintf(job->cgroup, sizeof job->cgroup, "%s", cgroup);
    job->remove = remove;
    job->owner = act_self(self);
    container *c = container_id[0] ? find(self, container_id) : NULL;
    if (c) c->killers++; /* on_killed takes it back, whichever way the job runs */
    int rc = pthread_create(&job->thread, NULL, kill_thread, job);
    if (rc != 0) { /* still killed, here: better a blocked loop than a process left */
        LOG_ERROR("Cannot start a thread to kill cgroup %s: %s", cgroup, strerror(rc));
        job->thread = pthread_self();
        kill_thread(job);
        return;
    }
    cz__threads_add(&s->threads, job->thread);
}

/* SIGKILL to the whole container now: its cgroup when contained, else the executor's tree. */
static void kill_container(act_actor *self, container *c)
{
    if (c->iso.contained) {
        if (c->killers == 0) start_kill(self, c->container_id, c->iso.cgroup, false);
    } else {
        proc_kill(&c->identity, SIGKILL);
    }
}

/* c->limitation is set: the container is destroyed at once (once it runs, if it is still
 * being launched), and its end reports the limit. */
static void limit(act_actor *self, container *c)
{
    LOG_INFO("Container %s of executor '%s' of framework %s reached a limit and will be "
             "terminated: %s", c->container_id, c->executor_id, c->framework_id, c->limitation);
    c->destroying = true;
    if (c->kill_timer) act_cancel(self, c->kill_timer);
    c->kill_timer = 0;
    if (c->pid > 0) kill_container(self, c);
}

void cz__limited(act_actor *self, const char *container_id, const char *message)
{
    container *c = find(self, container_id);
    if (!c || c->exited || c->limitation) return;
    c->limitation = act_strdup(message);
    limit(self, c);
}

/* Watches isolator i's notification fd for c, if it has one. */
static void arm(cz *s, container *c, size_t i)
{
    isolator *iso = &s->iso.v[i];
    short events = POLLIN;
    int fd = iso->ops->notify_fd ? iso->ops->notify_fd(iso, &c->iso, &events) : -1;
    if (fd >= 0) cz__watcher_add_fd(s->watcher, fd, events, c->container_id, (int)i);
}

static void on_notify(act_actor *self, void *arg)
{
    cz_notify *ev = arg;
    container *c = find(self, ev->container_id);
    cz *s = self ? act_state(self) : NULL;
    if (c && !c->exited && ev->isolator >= 0 && (size_t)ev->isolator < s->iso.n) {
        isolator *iso = &s->iso.v[ev->isolator];
        char msg[sizeof ((cz_result *)0)->message];
        if (iso->ops->limited && iso->ops->limited(iso, &c->iso, msg, sizeof msg))
            cz__limited(self, c->container_id, msg);
        else
            arm(s, c, (size_t)ev->isolator); /* something else changed: listen again */
    }
    free(ev);
}

static void on_executor_exit(act_actor *self, void *arg)
{
    cz_exit *ev = arg;
    container *c = find(self, ev->container_id);
    if (c && c->pid == ev->pid && !c->exited) {
        c->exited = true;
        c->status = ev->status;
        check_limits(act_state(self), c); /* an OOM that ended the executor first */
        if (c->iso.contained) {
            /* what is left in its cgroup (a daemonized task) goes too; finish() then */
            if (c->killers == 0) start_kill(self, c->container_id, c->iso.cgroup, false);
        } else {
            finish(self, c);
        }
    }
    free(ev);
}

/* ---- launch ------------------------------------------------------------------------------ */

/* A launch that never ran an executor: the isolators clean up what they prepared. */
static void launch_failed(act_actor *self, container *c, const char *message)
{
    cz *s = act_state(self);
    act_counter_inc(s->launch_failures);
    LOG_ERROR("Failed to launch container %s for executor '%s' of framework %s: %s",
              c->container_id, c->executor_id, c->framework_id, message);
    cz__reply(self, &c->requester, c->container_id, CZ_MSG_LAUNCHED, 0, -1, false, "%s", message);
    cz__watcher_forget(s->watcher, c->container_id);
    if (c->prepared) iso_set_cleanup(&s->iso, &c->iso);
    container_remove(self, c);
}

static void apply_update(cz *s, container *c)
{
    char err[1024];
    if (iso_set_update(&s->iso, &c->iso, err, sizeof err) != 0)
        LOG_WARNING("Cannot update the resources of container %s: %s", c->container_id, err);
}

static void launch_succeeded(act_actor *self, container *c, cz_job *job)
{
    cz *s = act_state(self);
    c->pid = c->iso.pid = job->pid;
    c->identity = job->identity;
    int rc = cz__watcher_add(s->watcher, job->pidfd, &c->identity, true, c->container_id);
    job->pidfd = -1;
    if (rc != 0) {
        /* Without a watcher nobody would reap it: take it back. */
        proc_kill(&c->identity, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {}
        if (c->iso.contained) ll_destroy(&s->iso, c->iso.cgroup, false);
        char why[128];
        snprintf(why, sizeof why, "Cannot watch the executor: %s", strerror(-rc));
        launch_failed(self, c, why);
        return;
    }
    if (c->destroying && !c->limitation) {
        /* Destroyed while the thread was forking: finish it quietly. */
        c->silent = true;
        kill_container(self, c);
        act_counter_inc(s->launch_failures);
        cz__reply(self, &c->requester, c->container_id, CZ_MSG_LAUNCHED, 0, -1, false,
                  "Container destroyed while launching");
        return;
    }
    if (c->update_pending) apply_update(s, c);
    c->update_pending = false;
    act_counter_inc(s->launches);
    LOG_INFO("Launched container %s (pid %d) for executor '%s' of framework %s",
             c->container_id, (int)c->pid, c->executor_id, c->framework_id);
    cz__reply(self, &c->requester, c->container_id, CZ_MSG_LAUNCHED, c->pid, -1, false, "Launched");
    if (c->limitation) kill_container(self, c); /* it hit a limit while being launched */
}

static void on_launch_done(act_actor *self, void *arg)
{
    cz_job *job = arg;
    if (!self) {
        cz__job_orphaned(job);
        return;
    }
    cz *s = act_state(self);
    cz__threads_join(&s->threads, job->thread);
    container *c = act_map_get(s->containers, job->launch->container_id);
    ACT_CHECK(c && c->job == job);
    c->job = NULL;
    if (job->pid > 0) launch_succeeded(self, c, job);
    else launch_failed(self, c, job->message);
    cz__job_free(job);
}

/* Mesos' prepare step: each isolator, in order, readies the container and says what the
 * child must do; their notification fds are watched from now on. */
static int prepare(cz *s, container *c, const cz_launch *l, iso_plan *plan, char *err,
                   size_t errlen)
{
    c->iso.executor = l->executor->root;
    c->prepared = true;
    char why[1024];
    int rc = iso_set_prepare(&s->iso, &c->iso, plan, why, sizeof why);
    c->iso.executor = NULL;
    if (rc != 0) {
        snprintf(err, errlen, "Failed to prepare isolator %s", why);
        return rc;
    }
    for (size_t i = 0; i < s->iso.n; i++) arm(s, c, i);
    return 0;
}

static void on_launch(act_actor *self, const act_msg *msg)
{
    cz *s = act_state(self);
    cz_launch *l = msg->obj;
    if (!l) return;
    *msg->obj_taken = true;
    const char *refusal = !l->executor || !l->directory ? "has no executor or sandbox"
                          : act_map_get(s->containers, l->container_id) ? "already exists"
                          : !cz_kind_runs(CZ_MESOS, l->executor->root)
                              ? "runs in a Docker image: this slave's --containerizers has no "
                                "'docker'"
                              : NULL;
    if (refusal) {
        act_counter_inc(s->launch_failures);
        cz__reply(self, &msg->from, l->container_id, CZ_MSG_LAUNCHED, 0, -1, false,
                  "Container '%s' %s", l->container_id, refusal);
        cz_launch_free(l);
        return;
    }
    container *c = container_new(s, l->container_id, l->framework_id, l->executor_id,
                                 &msg->from, &l->resources, l->directory);
    const wire_executor_info *ei = l->executor->root;
    c->executor_name = act_strdup(ei->name ? ei->name : "");
    c->source = act_strdup(ei->source ? ei->source : "");
    c->user = l->user ? act_strdup(l->user) : NULL;
    c->iso.user = c->user;
    cz_job *job = act_calloc(1, sizeof *job);
    job->launch = l;
    job->owner = act_self(self);
    job->done = on_launch_done;
    char err[1400];
    int rc = prepare(s, c, l, &job->plan, err, sizeof err);
    if (rc == 0 && (rc = cz__job_start(job)) != 0)
        snprintf(err, sizeof err, "Cannot start the launch thread: %s", strerror(-rc));
    if (rc != 0) {
        launch_failed(self, c, err);
        cz__job_free(job);
        return;
    }
    c->job = job;
    cz__threads_add(&s->threads, job->thread);
    LOG_INFO("Starting container %s for executor '%s' of framework %s in '%s'",
             c->container_id, c->executor_id, c->framework_id, l->directory);
}

static void on_update(act_actor *self, const act_msg *msg)
{
    cz *s = act_state(self);
    const cz_update *u = msg->obj;
    container *c = u ? find(self, u->container_id) : NULL;
    if (!c || c->exited || c->destroying) return;
    res_free(&c->iso.resources);
    res_copy(&c->iso.resources, &u->resources);
    if (c->pid > 0) apply_update(s, c);
    else c->update_pending = true; /* applied once it runs */
}

/* ---- destroy ----------------------------------------------------------------------------- */

static void on_grace_expired(act_actor *self, void *arg)
{
    container *c = arg;
    c->kill_timer = 0;
    LOG_INFO("Killing container %s of executor '%s' of framework %s after the grace period",
             c->container_id, c->executor_id, c->framework_id);
    kill_container(self, c);
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
    if (c->exited) return; /* its cgroup is being emptied already */
    if (d->grace_seconds <= 0) {
        kill_container(self, c);
        return;
    }
    if (c->iso.contained) ll_signal(&s->iso, &c->iso, SIGTERM);
    else proc_kill(&c->identity, SIGTERM);
    c->kill_timer = act_delay(self, d->grace_seconds, on_grace_expired, c);
}

/* ---- recover ----------------------------------------------------------------------------- */

/* Adopts a recovered executor; returns the container when its process is watched, else NULL
 * (it ended while the slave was down: TERMINATED is sent). */
static container *recover_one(act_actor *self, const act_pid *from, const cz_recovered *r)
{
    cz *s = act_state(self);
    if (act_map_get(s->containers, r->container_id)) {
        LOG_WARNING("Ignoring recovery of container %s of executor '%s' of framework %s: "
                    "it is known already", r->container_id, r->executor_id, r->framework_id);
        return NULL;
    }
    container *c = container_new(s, r->container_id, r->framework_id, r->executor_id, from,
                                 &r->resources, r->directory);
    c->executor_name = act_strdup("");
    c->source = act_strdup("");
    c->identity = r->identity;
    c->pid = c->iso.pid = r->identity.pid;
    char why[160];
    if (cz__watch_recovered(s->watcher, &c->identity, c->container_id, why, sizeof why) == 0) {
        c->prepared = true;
        c->iso.contained = s->iso.contain && cg_exists(&s->iso.layout, CG_FREEZER, c->iso.cgroup);
        LOG_INFO("Recovered container %s (pid %d) of executor '%s' of framework %s%s",
                 c->container_id, (int)c->pid, r->executor_id, r->framework_id,
                 s->iso.contain && !c->iso.contained ? " (it has no cgroup: not contained)" : "");
        return c;
    }
    LOG_INFO("Recovered container %s of executor '%s' of framework %s: pid %d %s",
             c->container_id, r->executor_id, r->framework_id, (int)c->pid, why);
    cz__reply(self, &c->requester, c->container_id, CZ_MSG_TERMINATED, c->pid, -1, false,
              "Executor (pid %d) %s", (int)c->pid, why);
    container_remove(self, c);
    return NULL;
}

static void destroy_orphan(void *ctx, const char *name)
{
    act_actor *self = ctx;
    cz *s = act_state(self);
    char cg[PATH_MAX];
    snprintf(cg, sizeof cg, "%s/%s", s->iso.cfg.cgroups_root, name);
    LOG_INFO("Removing orphaned cgroup '%s' (no recovered container owns it)", cg);
    start_kill(self, "", cg, true);
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    cz *s = act_state(self);
    const cz_recover *r = msg->obj;
    size_t n = 0;
    container **live = act_calloc((r ? r->n : 0) + 1, sizeof *live);
    for (size_t i = 0; r && i < r->n; i++) {
        container *c = recover_one(self, &msg->from, &r->v[i]);
        if (c) live[n++] = c;
    }
    iso_container **views = act_calloc(n + 1, sizeof *views);
    for (size_t i = 0; i < n; i++) views[i] = &live[i]->iso;
    for (size_t i = 0; i < s->iso.n; i++)
        if (s->iso.v[i].ops->recover) s->iso.v[i].ops->recover(&s->iso.v[i], views, n);
    if (s->iso.contain) ll_orphans(&s->iso, views, n, destroy_orphan, self);
    for (size_t k = 0; k < n; k++) {
        if (s->iso.contain && !live[k]->iso.contained) continue; /* no cgroup to watch */
        for (size_t i = 0; i < s->iso.n; i++) arm(s, live[k], i);
        check_limits(s, live[k]); /* hit while the slave was down (an OOM it froze) */
        if (live[k]->limitation) limit(self, live[k]);
    }
    free(views);
    free(live);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void cz_init(act_actor *self, void *arg)
{
    cz *s = act_state(self);
    act_pid me = act_self(self);
    s->watcher = cz__watcher_start(&me, on_executor_exit, on_notify);
    for (size_t i = 0; i < s->iso.n; i++)
        if (s->iso.v[i].ops->start) s->iso.v[i].ops->start(&s->iso.v[i], self);
}

/* Leaves executors running (a restarted slave recovers them); joins launch and kill threads,
 * whose results then go to their callbacks with a NULL actor. */
static void cz_terminate(act_actor *self, void *arg)
{
    cz *s = arg;
    cz__threads_join_all(&s->threads);
    cz__watcher_stop(s->watcher);
    iso_set_destroy(&s->iso);
    const char *key;
    void *value;
    for (size_t it = 0; act_map_next(s->containers, &it, &key, &value);) container_free(value);
    act_map_free(s->containers);
    free(s);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

act_pid containerizer_spawn(const cz_config *cfg, int loop, char *err, size_t errlen)
{
    act_pid none;
    memset(&none, 0, sizeof none);
    cz_config defaults;
    cz_config_default(&defaults);
    pthread_once(&curl_once, curl_setup);
    cz *s = act_calloc(1, sizeof *s);
    if (iso_set_create(&s->iso, cfg ? cfg : &defaults, err, errlen) != 0) {
        free(s);
        return none;
    }
    s->containers = act_map_new();
    s->launches = act_counter_get("containerizer/launches");
    s->launch_failures = act_counter_get("containerizer/launch_failures");
    act_actor *a = act_new(CONTAINERIZER_ACTOR, s);
    act_on_local(a, CZ_MSG_LAUNCH, on_launch);
    act_on_local(a, CZ_MSG_DESTROY, on_destroy);
    act_on_local(a, CZ_MSG_RECOVER, on_recover);
    act_on_local(a, CZ_MSG_UPDATE, on_update);
    act_on_init(a, cz_init, NULL);
    act_on_terminate(a, cz_terminate, s);
    act_pid me = act_self(a);
    if (act_spawn(a, loop) != 0) {
        iso_set_destroy(&s->iso);
        act_map_free(s->containers);
        free(s);
        snprintf(err, errlen, "Cannot spawn the containerizer");
        return none;
    }
    return me;
}
