/*
 * recover.c - the slave's checkpoints and what a restarted slave does with them (SPEC 6,
 * PROTOCOL.md "Slave restart"). While running, the slave writes its SlaveInfo, each
 * checkpointing framework's info and scheduler pid, each executor's info, run and pids, and
 * each task's info under <work_dir>/meta (atomically). On start it reads them back: with
 * --recover=reconnect it keeps its slave ID (when its resources are unchanged), asks the
 * containerizer to watch the executors still alive, sends each ReconnectExecutorMessage and
 * waits 2 s for ReregisterExecutorMessage (the executors resend their unacknowledged
 * updates), destroys those that stay silent, hands the task.updates files to the status
 * update manager, and only then registers with the master. --recover=cleanup kills what it
 * finds and exits, as Mesos does.
 */
#include "slave/slave_state_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define RECONNECT_TIMEOUT 2.0

static void log_ckpt_error(int rc, const char *err)
{
    if (rc != 0) LOG_ERROR("Checkpoint failed: %s", err);
}

/* ---- writing ----------------------------------------------------------------------------- */

void s_checkpoint_slave_info(slave *s)
{
    char path[PATH_MAX], dir[PATH_MAX], latest[PATH_MAX], err[512];
    path_meta_slave_info(path, sizeof path, s->cfg.work_dir, s->id);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(slave_info), s->info, err, sizeof err), err);
    path_meta_slave(dir, sizeof dir, s->cfg.work_dir, s->id);
    path_meta_latest_slave(latest, sizeof latest, s->cfg.work_dir);
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", latest);
    unlink(tmp);
    if (symlink(dir, tmp) != 0 || rename(tmp, latest) != 0)
        LOG_ERROR("Cannot point %s at %s: %s", latest, dir, strerror(errno));
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
}

void s_checkpoint_task(slave *s, s_executor *e, const s_task *t)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_task(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                   e->container_id, t->info->task_id.value);
    snprintf(path, sizeof path, "%s/task.info", dir);
    log_ckpt_error(ckpt_write(path, WIRE_DESC(task_info), t->info, err, sizeof err), err);
}

void s_checkpoint_executor_pid(slave *s, s_executor *e)
{
    if (!s->cfg.checkpoint || !e->framework->info->checkpoint) return;
    char dir[PATH_MAX], path[PATH_MAX + 32], pid[ACT_PID_STRLEN], err[512];
    path_meta_run(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                  e->container_id);
    snprintf(path, sizeof path, "%s/pids/libprocess.pid", dir);
    log_ckpt_error(ckpt_write_text(path, act_pid_format(&e->pid, pid, sizeof pid), err,
                                   sizeof err), err);
}

/* ---- reading ----------------------------------------------------------------------------- */

typedef struct recovery {
    slave *s;
    cz_recover *cz;       /* executors for the containerizer to watch */
    sum_recover *sum;     /* task.updates files for the status update manager */
    size_t waiting;       /* executors asked to reconnect, not yet answered */
} recovery;

static recovery rec; /* one slave per process */

/* Calls fn(name) for each subdirectory entry of dir (not . and ..). */
static void each_dir(const char *dir, void (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "latest") == 0) continue;
        if (strlen(de->d_name) >= WIRE_UUID_STRLEN && strlen(de->d_name) >= WIRE_ID_MAX) {
            LOG_WARNING("Skipping %s/%s: the name is too long to be ours", dir, de->d_name);
            continue;
        }
        fn(ctx, de->d_name);
    }
    closedir(d);
}

/* Copies an ID read from a directory name (each_dir bounded its length). */
static void copy_id(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

typedef struct walk {
    slave *s;
    s_framework *f;
    s_executor *e;
    char dir[PATH_MAX + 16];
} walk;

static void last_state(void *ctx, const void *record)
{
    const wire_status_update_record *r = record;
    if (r->update) *(wire_task_state *)ctx = r->update->status.state;
}

static void recover_task(void *ctx, const char *task_id)
{
    walk *w = ctx;
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_task(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, w->e->id,
                   w->e->container_id, task_id);
    snprintf(path, sizeof path, "%s/task.info", dir);
    wire_msg *m = NULL;
    if (ckpt_read(path, WIRE_DESC(task_info), &m, err, sizeof err) != 0) {
        LOG_WARNING("Skipping task %s: %s", task_id, err);
        return;
    }
    s_task *t = act_calloc(1, sizeof *t);
    t->msg = m;
    t->info = m->root;
    t->state = WIRE_TASK_STAGING;
    snprintf(path, sizeof path, "%s/task.updates", dir);
    if (ckpt_read_records(path, WIRE_DESC(status_update_record), last_state, &t->state, err,
                          sizeof err) >= 0) {
        sum_recover *sr = rec.sum;
        sr->v = act_realloc(sr->v, (sr->n + 1) * sizeof *sr->v);
        sr->v[sr->n].path = act_strdup(path);
        sr->v[sr->n].slave = w->s->pid;
        sr->n++;
    }
    act_map_put(wire_task_state_terminal(t->state) ? w->e->finishing : w->e->launched, t->info->task_id.value, t);
}

/* One run of an executor: the one whose checkpointed process is provably still alive is the
 * executor. */
static void recover_run(void *ctx, const char *container_id)
{
    walk *w = ctx;
    char dir[PATH_MAX], path[PATH_MAX + 32], text[ACT_PID_STRLEN], why[1024];
    path_meta_run(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, w->e->id,
                  container_id);
    proc_identity id;
    snprintf(path, sizeof path, "%s/pids", dir);
    int rc = proc_identity_load(path, &id, why, sizeof why);
    if (rc == 0) rc = proc_identity_check(&id);
    if (rc == -ENODATA || rc == -EBADMSG)
        LOG_WARNING("Run %s of executor %s of framework %s: %s", container_id, w->e->id,
                    w->f->id, why);
    if (rc == -ESTALE)
        LOG_WARNING("Run %s of executor %s of framework %s: pid %d now names another process",
                    container_id, w->e->id, w->f->id, (int)id.pid);
    if (rc != 0 || w->e->os_pid) return;
    w->e->os_pid = id.pid;
    w->e->identity = id;
    copy_id(w->e->container_id, sizeof w->e->container_id, container_id);
    snprintf(path, sizeof path, "%s/directory", dir);
    char directory[PATH_MAX];
    if (ckpt_read_text(path, directory, sizeof directory) >= 0)
        w->e->directory = act_strdup(directory);
    snprintf(path, sizeof path, "%s/pids/libprocess.pid", dir);
    if (ckpt_read_text(path, text, sizeof text) >= 0) act_pid_parse(text, &w->e->pid);
    snprintf(path, sizeof path, "%s/tasks", dir);
    each_dir(path, recover_task, w);
}

static s_executor *executor_from_checkpoint(walk *w, const char *executor_id)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
    path_meta_executor(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, executor_id);
    snprintf(path, sizeof path, "%s/executor.info", dir);
    wire_msg *m = NULL;
    if (ckpt_read(path, WIRE_DESC(executor_info), &m, err, sizeof err) != 0) {
        LOG_WARNING("Skipping executor %s: %s", executor_id, err);
        return NULL;
    }
    s_executor *e = act_calloc(1, sizeof *e);
    e->info_msg = m;
    e->info = m->root;
    copy_id(e->id, sizeof e->id, executor_id);
    e->framework = w->f;
    e->command = e->info->has_source && strcmp(e->info->source, executor_id) == 0 &&
                 strstr(e->info->name, "Command Executor") != NULL;
    e->queued = act_map_new();
    e->launched = act_map_new();
    e->finishing = act_map_new();
    s_history_init(&e->completed, S_MAX_COMPLETED_TASKS_PER_EXECUTOR);
    return e;
}

static void add_to_containerizer(s_executor *e)
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
    res_from_wire(e->info->resources, e->info->resources_count, &r->resources, NULL, 0);
}

static void recover_executor(void *ctx, const char *executor_id)
{
    walk *w = ctx;
    s_executor *e = executor_from_checkpoint(w, executor_id);
    if (!e) return;
    w->e = e;
    char dir[PATH_MAX], runs[PATH_MAX + 8];
    path_meta_executor(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, w->f->id, executor_id);
    snprintf(runs, sizeof runs, "%s/runs", dir);
    each_dir(runs, recover_run, w);
    if (!e->os_pid) { /* nothing alive: forget it (its sandbox is left for gc) */
        s_task *t;
        act_map *maps[] = {e->queued, e->launched, e->finishing};
        for (int i = 0; i < 3; i++) {
            for (size_t it = 0; act_map_next(maps[i], &it, NULL, (void **)&t);) {
                wire_msg_free(t->msg);
                free(t);
            }
            act_map_free(maps[i]);
        }
        wire_msg_free(e->info_msg);
        free(e->directory);
        s_history_free(&e->completed, NULL);
        free(e);
        return;
    }
    e->state = EXEC_RUNNING;
    e->reconnecting = true;
    act_map_put(w->f->executors, e->id, e);
    add_to_containerizer(e);
    LOG_INFO("Recovered executor %s of framework %s (pid %d)", e->id, w->f->id, e->os_pid);
}

static void recover_framework(void *ctx, const char *framework_id)
{
    walk *w = ctx;
    char dir[PATH_MAX], path[PATH_MAX + 32], err[512], pid[ACT_PID_STRLEN];
    path_meta_framework(dir, sizeof dir, w->s->cfg.work_dir, w->s->id, framework_id);
    snprintf(path, sizeof path, "%s/framework.info", dir);
    wire_msg *m = NULL;
    if (ckpt_read(path, WIRE_DESC(framework_info), &m, err, sizeof err) != 0) {
        LOG_WARNING("Skipping framework %s: %s", framework_id, err);
        return;
    }
    s_framework *f = act_calloc(1, sizeof *f);
    copy_id(f->id, sizeof f->id, framework_id);
    f->info_msg = m;
    f->info = m->root;
    f->executors = act_map_new();
    s_history_init(&f->completed, S_MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK);
    snprintf(path, sizeof path, "%s/framework.pid", dir);
    if (ckpt_read_text(path, pid, sizeof pid) >= 0) act_pid_parse(pid, &f->pid);
    w->f = f;
    snprintf(path, sizeof path, "%s/executors", dir);
    each_dir(path, recover_executor, w);
    if (act_map_size(f->executors) == 0) {
        act_map_free(f->executors);
        s_history_free(&f->completed, NULL);
        wire_msg_free(f->info_msg);
        free(f);
        return;
    }
    act_map_put(w->s->frameworks, f->id, f);
}

/* ---- finishing recovery ------------------------------------------------------------------- */

static void recovery_done(slave *s)
{
    if (s->recovered) return;
    s->recovered = true;
    if (rec.sum && rec.sum->n) act_post(s->self, &s->sum, SUM_MSG_RECOVER, rec.sum, sum_recover_free);
    else if (rec.sum) sum_recover_free(rec.sum);
    rec.sum = NULL;
    LOG_INFO("Recovery finished%s%s", s->id[0] ? " as slave " : "", s->id);
    s_register(s);
}

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
            cz_destroy *d = act_calloc(1, sizeof *d);
            snprintf(d->container_id, sizeof d->container_id, "%s", e->container_id);
            act_post(self, &s->containerizer, CZ_MSG_DESTROY, d, free);
        }
    }
    recovery_done(s);
}

static void on_reregister_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(reregister_executor_message));
    if (!m) return;
    wire_reregister_executor_message *r = m->root;
    s_executor *e = s_executor_find(s, r->framework_id.value, r->executor_id.value);
    if (!e || !e->reconnecting) {
        s_send(s, &msg->from, WIRE_DESC(shutdown_executor_message),
               &(wire_shutdown_executor_message){0});
        wire_msg_free(m);
        return;
    }
    e->reconnecting = false;
    e->pid = msg->from;
    act_link(self, &e->pid);
    wire_executor_reregistered_message reply = {.slave_id = {s->id}, .slave_info = *s->info};
    s_send(s, &e->pid, WIRE_DESC(executor_reregistered_message), &reply);
    LOG_INFO("Executor %s of framework %s re-registered with %zu unacknowledged update(s)",
             e->id, e->framework->id, r->updates_count);
    /* The executor's unacknowledged updates: the manager drops those it already has. */
    for (size_t i = 0; i < r->updates_count; i++) /* task IDs name checkpoint paths */
        if (wire_id_valid(r->updates[i].status.task_id.value))
            s_forward_update(s, e, &r->updates[i], &e->pid);
    wire_msg_free(m);
    if (rec.waiting && --rec.waiting == 0) recovery_done(s);
}

static void cleanup_and_exit(slave *s)
{
    LOG_INFO("--recover=cleanup: killing the executors of the previous run, then exiting");
    for (size_t i = 0; i < rec.cz->n; i++) proc_kill(&rec.cz->v[i].identity, SIGKILL);
    s_exit(s);
}

void s_recover(slave *s)
{
    rec.s = s;
    rec.cz = act_calloc(1, sizeof *rec.cz);
    rec.sum = act_calloc(1, sizeof *rec.sum);
    rec.waiting = 0;
    char latest[PATH_MAX], path[PATH_MAX], err[512];
    path_meta_latest_slave(latest, sizeof latest, s->cfg.work_dir);
    char target[PATH_MAX];
    ssize_t n = readlink(latest, target, sizeof target - 1);
    wire_msg *info = NULL;
    if (n > 0 && s->cfg.checkpoint) {
        target[n] = '\0';
        const char *id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        path_meta_slave_info(path, sizeof path, s->cfg.work_dir, id);
        if (ckpt_read(path, WIRE_DESC(slave_info), &info, err, sizeof err) != 0)
            LOG_WARNING("Cannot read the checkpointed slave info: %s", err);
    }
    if (info) {
        wire_slave_info *old = info->root;
        res_set was = {0};
        res_from_wire(old->resources, old->resources_count, &was, NULL, 0);
        if (!old->id || !res_equal(&was, &s->resources)) {
            LOG_WARNING("The slave's resources changed since its checkpoint: registering as a "
                        "new slave");
        } else {
            snprintf(s->id, sizeof s->id, "%s", old->id->value);
            walk w = {.s = s};
            path_meta_slave(path, sizeof path, s->cfg.work_dir, s->id);
            snprintf(w.dir, sizeof w.dir, "%s/frameworks", path);
            each_dir(w.dir, recover_framework, &w);
        }
        res_free(&was);
        wire_msg_free(info);
    }
    if (rec.cz->n && !s->cfg.recover_reconnect) {
        cleanup_and_exit(s);
        cz_recover_free(rec.cz);
        return;
    }
    if (rec.cz->n) {
        act_post(s->self, &s->containerizer, CZ_MSG_RECOVER, rec.cz, cz_recover_free);
        rec.cz = NULL;
        s_framework *f;
        wire_reconnect_executor_message rm = {.slave_id = {s->id}};
        for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
            s_executor *e;
            for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);)
                if (e->reconnecting && !act_pid_is_none(&e->pid)) {
                    s_send(s, &e->pid, WIRE_DESC(reconnect_executor_message), &rm);
                    rec.waiting++;
                }
        }
        act_delay(s->self, RECONNECT_TIMEOUT, reconnect_timeout, NULL);
        if (rec.waiting) return;
    } else {
        cz_recover_free(rec.cz);
        rec.cz = NULL;
    }
    recovery_done(s);
}

void s_recover_handlers(act_actor *a)
{
    act_on_message(a, "mesos.internal.ReregisterExecutorMessage", on_reregister_executor);
}
