/*
 * launcher.c - the containerizer's launch thread: resolves the user, fetches the URIs into the
 * sandbox, then forks the executor as the leader of a new session (so its process group is the
 * container) with stdout/stderr appended to the sandbox files, and checkpoints its pid with what
 * proves it is that process (proctree.c). What the isolators prepared (iso_plan) the child does
 * itself before anything else: it is cloned into new namespaces, joins the container's cgroups
 * and makes its mounts, so not one instruction of the executor runs outside them. It is Mesos'
 * PosixLauncher and LinuxLauncher fork plus the fetcher step, run off the actor's loop because
 * it blocks.
 */
#include "slave/cz_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The user an executor runs as; set only when switching (we are root and a user was given). */
typedef struct cz_user {
    bool set;
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* malloc'd */
    int ngroups;
} cz_user;

/* What the child reports through the CLOEXEC pipe when it cannot exec. */
typedef struct cz_child_error {
    int step;
    int err;
    int index;       /* STEP_MOUNT: which of the plan's mounts */
} cz_child_error;

enum { STEP_CHDIR, STEP_STDIO, STEP_GROUPS, STEP_SETGID, STEP_SETUID, STEP_EXEC, STEP_CGROUP,
       STEP_PRIVATE, STEP_MOUNT, STEP_PROC };
static const char *const step_names[] = {"chdir into the sandbox", "open stdout/stderr",
                                          "set supplementary groups", "setgid", "setuid",
                                          "execute", "join the container's cgroup",
                                          "make the mount namespace private", "mount",
                                          "mount /proc for the pid namespace"};

/* ---- small helpers ----------------------------------------------------------------------- */

int cz__pidfd_open(pid_t pid)
{
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* ---- user -------------------------------------------------------------------------------- */

/* Fills u when `name` is given and we are root. Returns 0 or -errno (err says why). */
static int user_resolve(const char *name, cz_user *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (!name || !*name || geteuid() != 0) return 0;
    struct passwd pw, *found = NULL;
    char buf[8192];
    int rc = getpwnam_r(name, &pw, buf, sizeof buf, &found);
    if (!found) {
        snprintf(err, errlen, "Failed to get user information for '%s': %s", name,
                 rc ? strerror(rc) : "no such user");
        return rc ? -rc : -ENOENT;
    }
    int n = 16;
    u->groups = act_malloc((size_t)n * sizeof *u->groups);
    while (getgrouplist(name, pw.pw_gid, u->groups, &n) < 0)
        u->groups = act_realloc(u->groups, (size_t)n * sizeof *u->groups);
    u->ngroups = n;
    u->uid = pw.pw_uid;
    u->gid = pw.pw_gid;
    u->set = true;
    return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;
static pthread_mutex_t chown_mu = PTHREAD_MUTEX_INITIALIZER;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return lchown(path, chown_uid, chown_gid) == 0 ? 0 : -errno;
}

/* chown -R; nftw has no context argument, so one walk at a time. */
static int chown_tree(const char *dir, const cz_user *u, char *err, size_t errlen)
{
    pthread_mutex_lock(&chown_mu);
    chown_uid = u->uid;
    chown_gid = u->gid;
    int rc = nftw(dir, chown_one, 16, FTW_PHYS);
    pthread_mutex_unlock(&chown_mu);
    if (rc == 0) return 0;
    rc = rc < 0 ? rc : -EPERM;
    snprintf(err, errlen, "Failed to chown sandbox '%s': %s", dir, strerror(-rc));
    return rc;
}

/* ---- environment and argv ---------------------------------------------------------------- */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void strv_push(strv *s, char *str)
{
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->v = act_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

/* Sets "KEY=VALUE" (taken), replacing an entry with the same key. */
static void env_set(strv *env, char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) + 1 : strlen(kv);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], kv, klen) == 0) {
            free(env->v[i]);
            env->v[i] = kv;
            return;
        }
    }
    strv_push(env, kv);
}

/* The slave's environment, then the launch's entries, then CommandInfo.environment. */
static void env_build(const cz_launch *l, const wire_command_info *cmd, strv *env)
{
    for (char **e = environ; e && *e; e++) env_set(env, act_strdup(*e));
    for (char **e = l->env; e && *e; e++) env_set(env, act_strdup(*e));
    if (!cmd->environment) return;
    for (size_t i = 0; i < cmd->environment->variables_count; i++) {
        const wire_environment_variable *v = &cmd->environment->variables[i];
        act_buf b = {0};
        act_buf_printf(&b, "%s=%s", v->name ? v->name : "", v->value ? v->value : "");
        env_set(env, act_buf_detach(&b, NULL));
    }
}

static const char *env_get(const strv *env, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < env->n; i++)
        if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=')
            return env->v[i] + klen + 1;
    return NULL;
}

/* execvpe's PATH search, done before fork (the child may only make system calls).
 * Returns a malloc'd path; the name itself when not found (exec then fails with ENOENT). */
static char *path_search(const char *name, const strv *env)
{
    const char *path = env_get(env, "PATH");
    if (strchr(name, '/') || !path) return act_strdup(name);
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        act_buf b = {0};
        act_buf_printf(&b, "%.*s/%s", (int)n, n ? p : ".", name);
        if (access(b.data, X_OK) == 0) return act_buf_detach(&b, NULL);
        act_buf_free(&b);
        p += n;
        if (*p == ':') p++;
    }
    return act_strdup(name);
}

/* /bin/sh -c value when shell (the default), else value with the arguments as argv. */
static char *argv_build(const wire_command_info *cmd, const strv *env, strv *argv)
{
    const char *value = cmd->value ? cmd->value : "";
    if (cmd->shell) {
        strv_push(argv, act_strdup("sh"));
        strv_push(argv, act_strdup("-c"));
        strv_push(argv, act_strdup(value));
        return act_strdup("/bin/sh");
    }
    for (size_t i = 0; i < cmd->arguments_count; i++)
        strv_push(argv, act_strdup(cmd->arguments[i] ? cmd->arguments[i] : ""));
    if (argv->n == 0) strv_push(argv, act_strdup(value));
    return path_search(value, env);
}

/* ---- fork and exec ----------------------------------------------------------------------- */

/* Only system calls from here to exec: other threads may hold locks we would need. After a
 * raw clone(2) glibc still believes those threads exist, so credentials are changed with the
 * raw system calls too (glibc's setuid would wait for them). */
static void child_fail_at(int fd, int step, int index)
{
    cz_child_error ce = {step, errno, index};
    ssize_t w = write(fd, &ce, sizeof ce);
    (void)w;
    _exit(127);
}

static void child_fail(int fd, int step)
{
    child_fail_at(fd, step, 0);
}

static void child_stdio(int errfd)
{
    int in = open("/dev/null", O_RDONLY);
    int out = open("stdout", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = open("stderr", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || err < 0) child_fail(errfd, STEP_STDIO);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(errfd, STEP_STDIO);
    if (in > 2) close(in);
    if (out > 2) close(out);
    if (err > 2) close(err);
}

static void child_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The container's own view of the file system: nothing mounted here reaches the host. */
static void child_mounts(int errfd, const iso_plan *p)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) child_fail(errfd, STEP_PRIVATE);
    for (size_t i = 0; i < p->nmounts; i++) {
        const iso_mount *m = &p->mounts[i];
        if (mount(m->source, m->target, m->fstype, m->flags, NULL) != 0)
            child_fail_at(errfd, STEP_MOUNT, (int)i);
        if (m->remount_readonly &&
            mount(NULL, m->target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
            child_fail_at(errfd, STEP_MOUNT, (int)i);
    }
    if (p->mount_proc &&
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) != 0)
        child_fail(errfd, STEP_PROC);
}

static void child_run(int errfd, const char *dir, const cz_user *u, const char *path,
                      char **argv, char **envp, const iso_plan *plan)
{
    child_signals();
    for (size_t i = 0; i < plan->njoin; i++) /* "0": the writer, whatever its pid here */
        if (write(plan->join[i], "0", 1) != 1) child_fail(errfd, STEP_CGROUP);
    setsid();
    if (plan->clone_flags & CLONE_NEWNS) child_mounts(errfd, plan);
    if (chdir(dir) != 0) child_fail(errfd, STEP_CHDIR);
    child_stdio(errfd);
    if (u->set) {
        if (syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) != 0)
            child_fail(errfd, STEP_GROUPS);
        if (syscall(SYS_setgid, u->gid) != 0) child_fail(errfd, STEP_SETGID);
        if (syscall(SYS_setuid, u->uid) != 0) child_fail(errfd, STEP_SETUID);
    }
    /* Nothing of the slave's (sockets, pidfds) leaks into the executor. */
    syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    execve(path, argv, envp);
    child_fail(errfd, STEP_EXEC);
}

/* fork(), or a clone(2) into new namespaces (a new pid namespace makes the child its pid 1;
 * the pid returned is the one this namespace knows it by). */
static pid_t fork_into(int clone_flags)
{
    if (!clone_flags) return fork();
    return (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
}

static void describe_failure(const cz_child_error *ce, const char *dir, const char *path,
                             const iso_plan *plan, char *err, size_t errlen)
{
    if (ce->step == STEP_MOUNT && ce->index >= 0 && (size_t)ce->index < plan->nmounts)
        snprintf(err, errlen, "Failed to mount '%s' on '%s': %s", plan->mounts[ce->index].source,
                 plan->mounts[ce->index].target, strerror(ce->err));
    else
        snprintf(err, errlen, "Failed to %s '%s': %s", step_names[ce->step],
                 ce->step == STEP_EXEC ? path : dir, strerror(ce->err));
}

/* Forks the executor. Returns the pid, or -errno with the reason in err (no child left). */
static pid_t spawn(const char *dir, const cz_user *u, const char *path, char **argv,
                   char **envp, const iso_plan *plan, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -errno;
    }
    pid_t pid = fork_into(plan->clone_flags);
    if (pid == 0) child_run(p[1], dir, u, path, argv, envp, plan);
    int saved = errno;
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        snprintf(err, errlen, "%s: %s", plan->clone_flags ? "clone" : "fork", strerror(saved));
        return -saved;
    }
    cz_child_error ce;
    ssize_t r;
    do r = read(p[0], &ce, sizeof ce);
    while (r < 0 && errno == EINTR);
    close(p[0]);
    if (r != (ssize_t)sizeof ce) return pid; /* exec closed the pipe: running */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    describe_failure(&ce, dir, path, plan, err, errlen);
    return ce.err > 0 ? -ce.err : -EIO;
}

/* Kills and reaps a child we will not hand over. Until it is reaped its pid (and so its
 * group) cannot be reused, so when /proc could not even give its identity, signalling the
 * pid itself is still safe. */
static void spawn_undo(const proc_identity *id, pid_t pid)
{
    if (id->pid == pid) {
        proc_kill(id, SIGKILL);
    } else if (pid > 1) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

/* ---- the thread -------------------------------------------------------------------------- */

/* Creates the sandbox's stdout and stderr; returns stderr open for appending (or -1). */
static int sandbox_files(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/stdout", dir);
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out >= 0) close(out);
    snprintf(path, sizeof path, "%s/stderr", dir);
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static int exec_executor(cz_job *job, const cz_user *u, int log_fd)
{
    cz_launch *l = job->launch;
    const wire_executor_info *ei = l->executor->root;
    strv env = {0}, argv = {0};
    env_build(l, &ei->command, &env);
    char *path = argv_build(&ei->command, &env, &argv);
    pid_t pid = spawn(l->directory, u, path, argv.v, env.v, &job->plan, job->message,
                      sizeof job->message);
    free(path);
    strv_free(&env);
    strv_free(&argv);
    if (pid < 0) return pid;
    int rc = proc_identity_read(pid, &job->identity);
    if (rc != 0) {
        snprintf(job->message, sizeof job->message,
                 "Cannot read the executor's identity from /proc/%d: %s", (int)pid,
                 strerror(-rc));
        spawn_undo(&job->identity, pid);
        return rc;
    }
    job->pidfd = cz__pidfd_open(pid);
    if (job->pidfd == -ENOSYS) job->pidfd = -1; /* the watcher polls instead */
    else if (job->pidfd < 0) {
        snprintf(job->message, sizeof job->message, "pidfd_open: %s", strerror(-job->pidfd));
        spawn_undo(&job->identity, pid);
        return job->pidfd;
    }
    job->pid = pid;
    return 0;
}

static int checkpoint_pid(cz_job *job)
{
    const char *dir = job->launch->pids_dir;
    if (!dir) return 0;
    char why[384];
    int rc = proc_identity_save(dir, &job->identity, why, sizeof why);
    if (rc == 0) return 0;
    snprintf(job->message, sizeof job->message,
             "Failed to checkpoint the executor's pid: %s (%s)", strerror(-rc), why);
    if (job->pidfd >= 0) close(job->pidfd);
    job->pidfd = -1;
    spawn_undo(&job->identity, job->pid);
    job->pid = 0;
    return rc;
}

static void launch_run(cz_job *job)
{
    cz_launch *l = job->launch;
    const wire_executor_info *ei = l->executor->root;
    char ids[3 * WIRE_ID_MAX + 64];
    snprintf(ids, sizeof ids, "container '%s' of executor '%s' of framework '%s'",
             l->container_id, l->executor_id, l->framework_id);
    cz_user u;
    int log_fd = sandbox_files(l->directory);
    int rc = user_resolve(l->user, &u, job->message, sizeof job->message);
    if (rc == 0)
        rc = cz__fetch(ei->command.uris, ei->command.uris_count, l->directory,
                       l->frameworks_home, log_fd, ids, job->message, sizeof job->message);
    if (rc == 0 && u.set) rc = chown_tree(l->directory, &u, job->message, sizeof job->message);
    if (rc == 0 && job->prepare) rc = job->prepare(job, log_fd);
    if (rc == 0 && atomic_load(&job->cancelled)) {
        snprintf(job->message, sizeof job->message, "Container destroyed while launching");
        rc = -ECANCELED;
    }
    if (rc == 0) rc = exec_executor(job, &u, log_fd);
    if (rc == 0) rc = checkpoint_pid(job);
    if (rc != 0 && log_fd >= 0) {
        char line[600];
        int n = snprintf(line, sizeof line, "Failed to launch: %s\n", job->message);
        write_all(log_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    if (log_fd >= 0) close(log_fd);
    free(u.groups);
}

static void *launch_thread(void *arg)
{
    cz_job *job = arg;
    launch_run(job);
    /* From here the job belongs to the containerizer (or to done(NULL, job)). */
    act_dispatch(&job->owner, job->done, job);
    return NULL;
}

int cz__job_start(cz_job *job)
{
    job->pid = 0;
    job->pidfd = -1;
    job->message[0] = '\0';
    int rc = pthread_create(&job->thread, NULL, launch_thread, job);
    return rc ? -rc : 0;
}

void cz__job_free(cz_job *job)
{
    if (!job) return;
    if (job->pidfd >= 0) close(job->pidfd);
    cz_launch_free(job->launch);
    iso_plan_free(&job->plan);
    free(job);
}
