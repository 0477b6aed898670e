/*
 * recover.c - the slave's checkpoints and what a restarted slave does with them (SPEC 6,
 * PROTOCOL.md "Slave restart"; Mesos' src/slave/state.cpp and Slave::recover). While
 * running, the slave writes its SlaveInfo, each checkpointing framework's info and scheduler
 * pid, each executor's info and latest run (runs/latest), the run's sandbox, pids (forked.pid
 * with the identity that proves it, libprocess.pid) and tasks, and a sentinel once the run is
 * completed, all under <work_dir>/meta (atomically). On start it reads them back, as far as
 * each file allows (an unreadable one is named in a warning and skipped):
 *  - every task's task.updates goes to the status update manager, whether or not its executor
 *    still runs, so what was not acknowledged is resent once the slave is registered;
 *  - a completed run becomes a completed executor;
 *  - an executor whose process is provably alive is handed to the containerizer and, with
 *    --recover=reconnect, asked to re-register (ReconnectExecutorMessage; 2 s);
 *  - an executor whose process is gone, or whose pid proves nothing (another process, no
 *    identity), ended while the slave was down: it ends through the usual path (its live
 *    tasks fail or are lost, the master hears of the exit once the slave is registered), and
 *    it is never signalled;
 *  - a process that is provably ours but whose checkpoint cannot be read is killed rather
 *    than left running unmanaged.
 * With --recover=cleanup the recovered executors are shut down and the slave exits once they
 * are gone, as Mesos does. Registration starts only when recovery is done.
 */
#include "slave/slave_state_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define RECONNECT_TIMEOUT 2.0 /* Mesos' EXECUTOR_REREGISTER_TIMEOUT */
#define SENTINEL "executor.sentinel"

static void log_ckpt_error(int rc, const char *err)
{
    if (rc != 0) LOG_ERROR("Checkpoint failed: %s", err);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Points `link` at `target` atomically (a temp link renamed over it). */
static void point(const char *link, const char *target)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", link);
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0)
        LOG_ERROR("Cannot point %s at %s: %s", link, target, strerror(errno));
}

void s_checkpoint_slave_info(slave *s)
{
    char path[PATH_MAX], dir[PATH_MAX], latest[PATH_MAX], err[512];
    path_meta_slave_info(path, sizeof path, s->cfg.work_dir, s->id);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(slave_info), s->info, err, sizeof err), err);
    path_meta_slave(dir, sizeof dir, s->cfg.work_dir, s->id);
    point(path_meta_latest_slave(latest, sizeof latest, s->cfg.work_dir), dir);
}

void s_checkpoint_framework(slave *s, s_framework *f)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], pid[ACT_PID_STRLEN], err[512];
    path_meta_framework(dir, sizeof dir, s->cfg.work_dir, s->id, f->id);
    snprintf(path, sizeof path, "%s/framework.info", dir);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(framework_info), f->info, err, sizeof err), err);
    snprintf(path, sizeof path, "%s/framework.pid", dir);
    log_ckpt_error(ckpt_write_text(path, act_pid_format(&f->pid, pid, sizeof pid), err,
                                   sizeof err), err);
}

void s_checkpoint_executor(slave *s, s_executor *e)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_executor(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id);
    snprintf(path, sizeof path, "%s/executor.info", dir);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(executor_info), e->info, err, sizeof err), err);
    path_meta_run(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                  e->container_id);
    snprintf(path, sizeof path, "%s/directory", dir);
    log_ckpt_error(ckpt_write_text(path, e->directory, err, sizeof err), err);
    path_meta_run(path, sizeof path, s->cfg.work_dir, s->id, e->framework->id, e->id, "latest");
    point(path, dir);
}

void s_checkpoint_task(slave *s, s_executor *e, const s_task *t)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_task(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                   e->container_id, t->info->task_id.value);
    snprintf(path, sizeof path, "%s/task.info", dir);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(task_info), t->info, err, sizeof err), err);
}

/* An executor that speaks Mesos' own wire (a mesos-go or libmesos executor) also leaves how it
 * speaks in pids/libprocess.peer ("libprocess" and/or its content type), so that after a
 * restart the slave asks it to reconnect in a form it reads. */
void s_checkpoint_executor_pid(slave *s, s_executor *e)
{
    if (!s->cfg.checkpoint || !e->framework->info->checkpoint) return;
    char dir[PATH_MAX], path[PATH_MAX + 32], pid[ACT_PID_STRLEN], err[512];
    path_meta_pids(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                   e->container_id);
    snprintf(path, sizeof path, "%s/libprocess.pid", dir);
    log_ckpt_error(ckpt_write_text(path, act_pid_format(&e->pid, pid, sizeof pid), err,
                                   sizeof err), err);
    act_peer peer;
    if (!act_peer_get(&e->pid, &peer)) return;
    char text[ACT_CONTENT_TYPE_MAX + 16];
    snprintf(text, sizeof text, "%s%s", peer.libprocess ? "libprocess " : "", peer.content_type);
    snprintf(path, sizeof path, "%s/libprocess.peer", dir);
    log_ckpt_error(ckpt_write_text(path, text, err, sizeof err), err);
}

static void recover_peer(const char *path, const act_pid *pid)
{
    char text[ACT_CONTENT_TYPE_MAX + 16];
    if (ckpt_read_text(path, text, sizeof text) < 0) return;
    text[strcspn(text, "\r\n")] = '\0';
    act_peer peer = {.libprocess = strncmp(text, "libprocess", 10) == 0};
    const char *type = peer.libprocess ? text + 10 + (text[10] == ' ') : text;
    snprintf(peer.content_type, sizeof peer.content_type, "%.*s", ACT_CONTENT_TYPE_MAX - 1, type);
    act_peer_set(pid, &peer);
}

void s_checkpoint_executor_completed(slave *s, s_executor *e)
{
    if (!s->cfg.checkpoint || !e->framework->info->checkpoint) return;
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_run(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                  e->container_id);
    snprintf(path, sizeof path, "%s/" SENTINEL, dir);
    log_ckpt_error(ckpt_write_text(path, "", err, sizeof err), err);
    gc_path *g = act_calloc(1, sizeof *g); /* nothing there is needed any more */
    g->path = act_strdup(dir);
    g->delay = s->cfg.gc_delay;
    act_post(s->self, &s->gc, GC_MSG_SCHEDULE, g, gc_path_free);
}

/* ---- what recovery collects -------------------------------------------------------------- */

typedef struct gone {
    s_executor *e;
    char why[640];
} gone;

typedef struct recovery {
    slave *s;
    cz_recover *cz;       /* executors provably alive, for the containerizer to watch */
    sum_recover *sum;     /* task.updates of every run not completed */
    gone *gone;           /* executors that ended while the slave was down */
    size_t ngone;
    size_t waiting;       /* executors asked to reconnect, not yet answered */
    char failure[1024];   /* --strict: the first checkpoint that could not be read */
} recovery;

static recovery rec; /* one slave per process */

static void add_stream(const char *path)
{
    if (access(path, F_OK) != 0) return;
    sum_recover *r = rec.sum;
    r->v = act_realloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n].path = act_strdup(path);
    r->v[r->n].slave = rec.s->pid;
    r->n++;
}

static void add_live(s_executor *e)
{
    cz_recover *c = rec.cz;
    c->v = act_realloc(c->v, (c->n + 1) * sizeof *c->v);
    cz_recovered *r = &c->v[c->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->container_id, sizeof r->container_id, "%s", e->container_id);
    snprintf(r->framework_id, sizeof r->framework_id, "%s", e->framework->id);
    snprintf(r->executor_id, sizeof r->executor_id, "%s", e->id);
    r->identity = e->identity;
    r->directory = act_strdup(e->directory ? e->directory : "");
    s_executor_resources(e, &r->resources);
    if (e->info->container) r->container_type = e->info->container->type;
}

static void add_gone(s_executor *e, const char *why)
{
    rec.gone = act_realloc(rec.gone, (rec.ngone + 1) * sizeof *rec.gone);
    rec.gone[rec.ngone].e = e;
    snprintf(rec.gone[rec.ngone].why, sizeof rec.gone[rec.ngone].why, "%s", why);
    rec.ngone++;
}

/* ---- walking the checkpoint -------------------------------------------------------------- */

/* A checkpoint file the walk cannot use (what: "task t1 of executor e1 of framework f1").
 * An absent one (the slave died before writing it) is skipped with a warning, as Mesos does.
 * One that is there but does not read is a recovery error: with --no-strict it is counted
 * (slave/recovery_errors) and skipped; with --strict, Mesos' default, recovery fails, and
 * the walk stops before it touches any process. Returns false once recovery has failed. */
static bool skip_unreadable(slave *s, int rc, const char *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (rc != -ENOENT) s->recovery_errors++;
    if (rc == -ENOENT || !s->cfg.strict) {
        LOG_WARNING("Skipping %s: %s", what, err);
        return true;
    }
    if (!rec.failure[0]) path_fmt(rec.failure, sizeof rec.failure, "cannot read %s: %s", what,
                                  err);
    return false;
}

/* Calls fn(name) for each entry of dir but ".", "..", "latest" and names too long to be an
 * ID of ours. */
static void each_dir(const char *dir, void (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "latest") == 0) continue;
        if (strlen(de->d_name) >= WIRE_ID_MAX) {
            LOG_WARNING("Skipping %s/%s: the name is too long to be ours", dir, de->d_name);
            continue;
        }
        fn(ctx, de->d_name);
    }
    closedir(d);
}

typedef struct walk {
    slave *s;
    s_framework *f;
    s_executor *e;
    char dir[PATH_MAX];     /* the directory being walked */
    const char *why;        /* orphans: why their checkpoint is of no use */
    const char *skip;       /* orphans: the run that is recovered, not an orphan */
    bool completed;         /* the run being read was completed before the restart */
} walk;

/* A process of a run whose checkpoint cannot be used: if it is provably one the slave
 * started, it is killed rather than left running unmanaged. */
static void kill_orphan(void *ctx, const char *container_id)
{
    walk *w = ctx;
    char pids[PATH_MAX + WIRE_ID_MAX + 16], why[1024];
    if (w->skip && strcmp(w->skip, container_id) == 0) return;
    path_fmt(pids, sizeof pids, "%s/%s/pids", w->dir, container_id);
    proc_identity id;
    if (proc_identity_load(pids, &id, why, sizeof why) != 0 || proc_identity_check(&id) != 0)
        return;
    LOG_WARNING("Killing process %d of run %s: it is ours, but %s", (int)id.pid, container_id,
                w->why);
    proc_kill(&id, SIGKILL);
}

static void kill_orphans_of_executor(void *ctx, const char *executor_id)
{
    walk *w = ctx;
    walk inner = *w;
    path_fmt(inner.dir, sizeof inner.dir, "%s/%s/runs", w->dir, executor_id);
    each_dir(inner.dir, kill_orphan, &inner);
}

/* Replays a task's updates: its status history, its latest state, and whether that state's
 * update (if terminal) was acknowledged. */
typedef struct task_log {
    s_task *task;           /* gets each update's state and time (state.json's statuses) */
    wire_task_state state;
    wire_uuid terminal;     /* the first terminal update */
    bool has_terminal, acknowledged;
} task_log;

static void replay(void *ctx, const void *record)
{
    task_log *l = ctx;
    const wire_status_update_record *r = record;
    if (r->type == WIRE_RECORD_UPDATE && r->update && !l->has_terminal) {
        s_task_add_status(l->task, &r->update->status);
        l->state = r->update->status.state;
        if (wire_task_state_terminal(l->state))
            l->has_terminal = wire_uuid_from_bytes(r->update->uuid.data, r->update->uuid.len,
                                                   &l->terminal) == 0;
    } else if (r->type == WIRE_RECORD_ACK && l->has_terminal) {
        wire_uuid u;
        if (wire_uuid_from_bytes(r->uuid.data, r->uuid.len, &u) == 0 &&
            wire_uuid_equal(&u, &l->terminal))
            l->acknowledged = true;
    }
}

static void recover_task(void *ctx, const char *task_id)
{
    if (rec.failure[0]) return; /* --strict: recovery has failed */
    walk *w = ctx;
    s_executor *e = w->e;
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_task(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, e->id,
                   e->container_id, task_id);
    path_fmt(path, sizeof path, "%s/task.info", dir);
    wire_msg *m = NULL;
    int rc = ckpt_read(path, WIRE_DESC(task_info), &m, err, sizeof err);
    if (rc != 0) {
        skip_unreadable(w->s, rc, err, "task %s of executor %s of framework %s", task_id,
                        e->id, w->f->id);
        return;
    }
    s_task *t = act_calloc(1, sizeof *t);
    t->msg = m;
    t->info = m->root;
    task_log l = {.task = t, .state = WIRE_TASK_STAGING};
    path_fmt(path, sizeof path, "%s/task.updates", dir);
    rc = ckpt_read_records(path, WIRE_DESC(status_update_record), replay, &l, err, sizeof err);
    if (rc < 0 && rc != -ENOENT &&
        !skip_unreadable(w->s, rc, err, "the status updates of task %s of executor %s "
                         "of framework %s", task_id, e->id, w->f->id)) {
        s_task_free(t);
        return;
    }
    t->state = l.state;
    if (!l.acknowledged && !w->completed) add_stream(path);
    if (l.acknowledged) {
        s_task *old = s_history_push(&e->completed, t);
        if (old) s_task_free(old);
    } else {
        act_map_put(wire_task_state_terminal(t->state) ? e->finishing : e->launched,
                    t->info->task_id.value, t);
    }
}

/* The run to recover: meta runs/latest, else the only run there is. */
static bool latest_run(const char *runs, char *out, size_t n)
{
    char link[PATH_MAX + 8], target[PATH_MAX];
    path_fmt(link, sizeof link, "%s/latest", runs);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len > 0) {
        target[len] = '\0';
        const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        path_fmt(out, n, "%s", base);
        return wire_id_valid(out);
    }
    DIR *d = opendir(runs);
    int count = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && count++ == 0) path_fmt(out, n, "%s", de->d_name);
    if (d) closedir(d);
    return count == 1 && wire_id_valid(out);
}

/* Was the run's process left alive by the previous slave? Fills e->identity when it is. */
static bool process_alive(walk *w, const char *run_dir, char *why, size_t n)
{
    char pids[PATH_MAX + 8], err[1024];
    path_fmt(pids, sizeof pids, "%s/pids", run_dir);
    int rc = proc_identity_load(pids, &w->e->identity, err, sizeof err);
    if (rc == 0) rc = proc_identity_check(&w->e->identity);
    if (rc == 0) return true;
    if (rc == -ESRCH)
        path_fmt(why, n, "Executor (pid %d) exited while the slave was down",
                 (int)w->e->identity.pid);
    else if (rc == -ESTALE)
        path_fmt(why, n, "Executor's pid %d now names another process (or the machine "
                 "rebooted): it is not signalled", (int)w->e->identity.pid);
    else
        path_fmt(why, n, "Executor's process cannot be proven alive: %s", err);
    if (rc != -ESRCH) LOG_WARNING("Executor %s of framework %s: %s", w->e->id, w->f->id, why);
    return false;
}

/* Reads the rest of the latest run: sandbox, libprocess pid, tasks. */
static void read_run(walk *w, const char *run_dir)
{
    s_executor *e = w->e;
    char path[PATH_MAX + 32], text[PATH_MAX];
    path_fmt(path, sizeof path, "%s/directory", run_dir);
    if (ckpt_read_text(path, text, sizeof text) > 0) e->directory = act_strdup(text);
    path_fmt(path, sizeof path, "%s/pids/libprocess.pid", run_dir);
    if (ckpt_read_text(path, text, sizeof text) > 0 && act_pid_parse(text, &e->pid) == 0) {
        path_fmt(path, sizeof path, "%s/pids/libprocess.peer", run_dir);
        recover_peer(path, &e->pid); /* how it speaks: a protobuf executor stays protobuf */
    }
    path_fmt(path, sizeof path, "%s/tasks", run_dir);
    each_dir(path, recover_task, w);
    if (e->directory) act_files_attach(&w->s->files, e->directory, e->directory);
}

static void recover_executor(void *ctx, const char *executor_id)
{
    if (rec.failure[0]) return; /* --strict: recovery has failed */
    walk *w = ctx;
    char dir[PATH_MAX], runs[PATH_MAX + 8], path[PATH_MAX + 32], err[512], cid[WIRE_ID_MAX];
    path_meta_executor(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, executor_id);
    path_fmt(path, sizeof path, "%s/executor.info", dir);
    path_fmt(runs, sizeof runs, "%s/runs", dir);
    wire_msg *m = NULL;
    int rc = ckpt_read(path, WIRE_DESC(executor_info), &m, err, sizeof err);
    if (rc == 0 && !latest_run(runs, cid, sizeof cid)) { /* died before the link: as absent */
        rc = -ENOENT;
        path_fmt(err, sizeof err, "its latest run is unknown");
    }
    if (rc != 0) {
        wire_msg_free(m);
        if (!skip_unreadable(w->s, rc, err, "executor %s of framework %s", executor_id,
                             w->f->id))
            return;
        walk orphans = {.why = "its executor's checkpoint is unusable"};
        path_fmt(orphans.dir, sizeof orphans.dir, "%s", runs);
        each_dir(runs, kill_orphan, &orphans);
        return;
    }
    const wire_executor_info *info = m->root;
    bool command = info->has_source && strcmp(info->source, executor_id) == 0 &&
                   info->name && strstr(info->name, "Command Executor") != NULL;
    walk old = {.why = "it belongs to an earlier run of its executor", .skip = cid};
    path_fmt(old.dir, sizeof old.dir, "%s", runs);
    each_dir(runs, kill_orphan, &old);
    w->e = s_executor_add(w->s, w->f, m, command, cid);
    path_meta_run(path, sizeof path, w->s->cfg.work_dir, w->s->id, w->f->id, executor_id, cid);
    char sentinel[PATH_MAX + 32], why[640];
    path_fmt(sentinel, sizeof sentinel, "%s/" SENTINEL, path);
    w->completed = access(sentinel, F_OK) == 0;
    read_run(w, path);
    if (w->completed) { /* completed before the restart */
        w->e->state = EXEC_TERMINATED;
        s_executor_retire(w->s, w->e);
    } else if (process_alive(w, path, why, sizeof why)) {
        w->e->state = EXEC_RUNNING;
        w->e->reconnecting = true;
        add_live(w->e);
        LOG_INFO("Recovered executor %s of framework %s (pid %d)", w->e->id, w->f->id,
                 (int)w->e->identity.pid);
    } else {
        w->e->state = EXEC_RUNNING; /* it ends once recovery has read everything */
        add_gone(w->e, why);
    }
}

static void recover_framework(void *ctx, const char *framework_id)
{
    if (rec.failure[0]) return; /* --strict: recovery has failed */
    walk *w = ctx;
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512], pid[ACT_PID_STRLEN];
    path_meta_framework(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, framework_id);
    path_fmt(path, sizeof path, "%s/framework.info", dir);
    wire_msg *m = NULL;
    int rc = ckpt_read(path, WIRE_DESC(framework_info), &m, err, sizeof err);
    if (rc != 0) {
        if (!skip_unreadable(w->s, rc, err, "framework %s", framework_id)) return;
        walk orphans = {.why = "its framework's checkpoint is unusable"};
        path_fmt(orphans.dir, sizeof orphans.dir, "%s/executors", dir);
        each_dir(orphans.dir, kill_orphans_of_executor, &orphans);
        return;
    }
    act_pid scheduler = {0};
    path_fmt(path, sizeof path, "%s/framework.pid", dir);
    if (ckpt_read_text(path, pid, sizeof pid) > 0) act_pid_parse(pid, &scheduler);
    w->f = s_framework_add(w->s, framework_id, m->root, &scheduler);
    wire_msg_free(m);
    path_fmt(path, sizeof path, "%s/executors", dir);
    each_dir(path, recover_executor, w);
    if (!rec.failure[0]) s_framework_retire_if_idle(w->s, w->f);
}

/* Fills s->id and the records when the checkpointed slave info still matches. */
static void read_checkpoint(slave *s)
{
    char latest[PATH_MAX], target[PATH_MAX], path[PATH_MAX], err[512];
    path_meta_latest_slave(latest, sizeof latest, s->cfg.work_dir);
    ssize_t n = readlink(latest, target, sizeof target - 1);
    if (n <= 0 || !s->cfg.checkpoint) return;
    target[n] = '\0';
    const char *id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    wire_msg *info = NULL;
    path_meta_slave_info(path, sizeof path, s->cfg.work_dir, id);
    if (!wire_id_valid(id)) {
        LOG_WARNING("Cannot read the checkpointed slave info: invalid slave ID");
        return;
    }
    int rc = ckpt_read(path, WIRE_DESC(slave_info), &info, err, sizeof err);
    if (rc != 0) {
        skip_unreadable(s, rc, err, "the checkpointed slave info (registering as a new slave)");
        return;
    }
    const wire_slave_info *old = info->root;
    res_set was = {0};
    res_from_wire(old->resources, old->resources_count, &was, NULL, 0);
    if (!old->id || !res_equal(&was, &s->resources)) {
        LOG_WARNING("The slave's resources changed since its checkpoint: registering as a new "
                    "slave");
    } else {
        path_fmt(s->id, sizeof s->id, "%s", old->id->value);
        walk w = {.s = s};
        path_meta_slave(path, sizeof path, s->cfg.work_dir, s->id);
        path_fmt(w.dir, sizeof w.dir, "%s/frameworks", path);
        each_dir(w.dir, recover_framework, &w);
    }
    res_free(&was);
    wire_msg_free(info);
}

/* ---- finishing recovery ------------------------------------------------------------------- */

static void recovery_done(slave *s)
{
    if (s->recovered) return;
    s->recovered = true;
    LOG_INFO("Recovery finished%s%s", s->id[0] ? " as slave " : "", s->id);
    s_register(s);
}

/* Executors that did not re-register in time are destroyed (Mesos' reregisterExecutorTimeout);
 * they end through the containerizer's report. */
static void reconnect_timeout(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            if (!e->reconnecting) continue;
            LOG_WARNING("Executor %s of framework %s did not re-register: destroying it",
                        e->id, f->id);
            e->reconnecting = false;
            e->state = EXEC_TERMINATING;
            s_executor_destroy(s, e, 0);
        }
    }
    recovery_done(s);
}

/* A task still STAGING that the re-registering executor does not know never reached it: the
 * slave died between checkpointing it and sending it (Mesos makes it LOST). */
static void lose_undelivered(slave *s, s_executor *e, const wire_reregister_executor_message *r)
{
    s_task *t;
    for (size_t it = 0; act_map_next(e->launched, &it, NULL, (void **)&t);) {
        if (t->state != WIRE_TASK_STAGING) continue;
        bool known = false;
        for (size_t i = 0; i < r->tasks_count && !known; i++)
            known = strcmp(r->tasks[i].task_id.value, t->info->task_id.value) == 0;
        if (!known)
            s_send_update(s, e->framework, e, t->info->task_id.value, WIRE_TASK_LOST,
                          "Task launched during slave restart", WIRE_REASON_SLAVE_RESTARTED);
    }
}

static void on_reregister_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_this_host(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(reregister_executor_message));
    if (!m) return;
    wire_reregister_executor_message *r = m->root;
    s_executor *e = s_executor_find(s, r->framework_id.value, r->executor_id.value);
    if (e && e->reconnecting && !act_pid_equal(&e->pid, &msg->from)) {
        /* Only the process asked back (its checkpointed pid) may answer for the executor. */
        char from[ACT_PID_STRLEN];
        act_count_refused();
        LOG_WARNING_LIMITED("Ignoring the re-registration of executor %s of framework %s from "
                            "%s: not its process", e->id, e->framework->id,
                            act_pid_format(&msg->from, from, sizeof from));
        wire_msg_free(m);
        return;
    }
    if (!e || !e->reconnecting) {
        s_send(s, &msg->from, WIRE_DESC(shutdown_executor_message),
               &(wire_shutdown_executor_message){0});
        wire_msg_free(m);
        return;
    }
    e->reconnecting = false;
    e->pid = msg->from;
    act_link(self, &e->pid);
    s_checkpoint_executor_pid(s, e);
    wire_executor_reregistered_message reply = {.slave_id = {s->id}, .slave_info = *s->info};
    s_send(s, &e->pid, WIRE_DESC(executor_reregistered_message), &reply);
    LOG_INFO("Executor %s of framework %s re-registered with %zu unacknowledged update(s)",
             e->id, e->framework->id, r->updates_count);
    /* Its unacknowledged updates of tasks the slave runs: the manager drops those it has. */
    for (size_t i = 0; i < r->updates_count; i++) {
        act_map *where;
        const wire_status_update *u = &r->updates[i];
        s_task *t = s_task_find(e, u->status.task_id.value, &where);
        if (!t) continue;
        s_task_update(s, e, t, where, &u->status);
        s_forward_update(s, e, u, &e->pid);
    }
    lose_undelivered(s, e, r);
    wire_msg_free(m);
    if (rec.waiting && --rec.waiting == 0) recovery_done(s);
}

/* Reconnect: asks each live executor back and waits for them (bounded). */
static void reconnect(slave *s)
{
    wire_reconnect_executor_message rm = {.slave_id = {s->id}};
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            if (!e->reconnecting) continue;
            if (act_pid_is_none(&e->pid)) {
                LOG_WARNING("Cannot reconnect to executor %s of framework %s: no libprocess "
                            "pid was checkpointed", e->id, f->id);
                continue;
            }
            s_send(s, &e->pid, WIRE_DESC(reconnect_executor_message), &rm);
            rec.waiting++;
        }
    }
    act_delay(s->self, RECONNECT_TIMEOUT, reconnect_timeout, NULL);
    if (!rec.waiting) recovery_done(s); /* nobody to wait for (the timeout still destroys) */
}

/* Cleanup: every recovered executor is shut down; the slave ends once they are gone. */
static void cleanup(slave *s)
{
    LOG_INFO("--recover=cleanup: shutting the executors of the previous run down, then exiting");
    s->terminating = true;
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);)
            if (e->reconnecting) s_executor_shutdown(s, e); /* the gone ones already ended */
    }
    if (act_map_size(s->frameworks) == 0) s_exit(s);
}

/* --strict and a checkpoint that does not read: the slave exits (status 1) with Mesos' remedy,
 * leaving every process and checkpoint as they are. */
static void recovery_failed(slave *s)
{
    char latest[PATH_MAX];
    LOG_ERROR("Failed to perform recovery: %s\n"
              "To remedy this do as follows:\n"
              "Step 1: rm -f %s\n"
              "        This ensures the slave does not recover old live executors.\n"
              "Step 2: Restart the slave.\n"
              "(Or restart it with --no-strict: it then recovers what it can read and skips "
              "the rest.)", rec.failure, path_meta_latest_slave(latest, sizeof latest,
                                                                s->cfg.work_dir));
    cz_recover_free(rec.cz);
    sum_recover_free(rec.sum);
    free(rec.gone);
    memset(&rec, 0, sizeof rec);
    if (s->cfg.exit_status) *s->cfg.exit_status = 1;
    s_exit(s);
}

void s_recover(slave *s)
{
    memset(&rec, 0, sizeof rec);
    rec.s = s;
    rec.cz = act_calloc(1, sizeof *rec.cz);
    rec.sum = act_calloc(1, sizeof *rec.sum);
    read_checkpoint(s);
    if (rec.failure[0]) {
        recovery_failed(s);
        return;
    }
    /* the manager has every stream before any update below joins one */
    act_post(s->self, &s->sum, SUM_MSG_RECOVER, rec.sum, sum_recover_free);
    rec.sum = NULL;
    if (!s->cfg.recover_reconnect) { /* their tasks end with the slave: no updates */
        s->terminating = true;
        s_framework *f;
        for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);)
            f->shutting_down = true;
    }
    for (size_t i = 0; i < rec.ngone; i++)
        s_executor_terminated(s, rec.gone[i].e, -1, rec.gone[i].why);
    free(rec.gone);
    rec.gone = NULL;
    size_t live = rec.cz->n;
    act_post(s->self, &s->containerizer, CZ_MSG_RECOVER, rec.cz, cz_recover_free);
    rec.cz = NULL;
    if (!s->cfg.recover_reconnect) cleanup(s);
    else if (live) reconnect(s);
    else recovery_done(s);
}

void s_recover_handlers(act_actor *a)
{
    act_on_message(a, "mesos.internal.ReregisterExecutorMessage", on_reregister_executor);
}
