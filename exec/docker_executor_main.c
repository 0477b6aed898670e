/*
 * docker_executor_main.c - mesos-docker-executor, the executor the Docker containerizer runs
 * for a command task in an image (Mesos' src/docker/executor.cpp). It runs the task as
 * `docker run --name <container> ...` with the client attached, so the container's output goes
 * to the sandbox's stdout and stderr, which are the executor's own; reports TASK_RUNNING once
 * `docker inspect` shows the container started, then TASK_FINISHED or TASK_FAILED with the
 * container's exit status; a kill is `docker stop -t <stop_timeout>` and ends in TASK_KILLED.
 * The life cycle is the built-in executors' core (command.c). The slave's containerizer has
 * pulled the image and gives the flags; the container's cpu shares and memory limit come from
 * the executor's resources (the task's and the executor's own), as Mesos sets them.
 */
#include "docker/docker.h"
#include "exec/command_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How often `docker inspect` looks for the container before TASK_RUNNING (Mesos: 500 ms). */
#define INSPECT_EVERY_NS 200000000L

typedef struct dexec_flags {
    char *docker, *container, *sandbox_directory, *mapped_directory, *work_dir;
    double stop_timeout;
} dexec_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(dexec_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(docker, STRING, NULL, "The docker client to run (required)."),
    F(container, STRING, NULL, "The name of the container to run the task in: "
      "mesos-<container id> (required)."),
    F(sandbox_directory, STRING, NULL, "The sandbox on the host, mounted in the container "
      "(required)."),
    F(mapped_directory, STRING, NULL, "Where the sandbox appears in the container "
      "(MESOS_SANDBOX) (required)."),
    F(stop_timeout, DURATION, NULL, "How long `docker stop` waits after SIGTERM before it "
      "kills the container (required)."),
    F(work_dir, STRING, NULL, "The slave's work_dir, put on the container as the label "
      DOCKER_LABEL_WORK_DIR " so that only that slave treats it as its own."),
};

typedef struct dexec {
    dexec_flags f;
    res_set resources;      /* the executor's: the task's and the executor's share */
    pthread_mutex_t mu;     /* resources: written by the driver's thread, read on the loop */
} dexec;

/* ---- starting the container -------------------------------------------------------------- */

static void registered(void *ctx, const wire_executor_info *ei)
{
    dexec *d = ctx;
    pthread_mutex_lock(&d->mu);
    res_clear(&d->resources);
    res_from_wire(ei->resources, ei->resources_count, &d->resources, NULL, 0);
    pthread_mutex_unlock(&d->mu);
}

/* What the slave told this executor and the task gets as well (Mesos' executor environment),
 * with the sandbox as the container sees it; nothing else of the slave's environment. */
static const char *const passed_env[] = {
    "MESOS_SLAVE_PID", "MESOS_SLAVE_ID", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID",
    "MESOS_CHECKPOINT", "MESOS_RECOVERY_TIMEOUT", "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
};

static void container_env(const dexec *d, docker_args *env)
{
    for (size_t i = 0; i < sizeof passed_env / sizeof passed_env[0]; i++) {
        const char *v = getenv(passed_env[i]);
        if (v) docker_args_pushf(env, "%s=%s", passed_env[i], v);
    }
    docker_args_pushf(env, "MESOS_DIRECTORY=%s", d->f.mapped_directory);
}

/* After fork: only system calls. The client gets a process group of its own and HOME = the
 * sandbox (where a fetched .dockercfg is). */
static void child_exec(const char *path, char **argv, char **envp)
{
    setpgid(0, 0);
    execve(path, argv, envp);
    static const char msg[] = "Failed to exec the docker client\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

/* The command, into the sandbox's stdout, with the environment's values left out (they may
 * be secrets the sandbox's readers should not see). */
static void print_command(const docker_args *argv)
{
    act_buf line = {0};
    for (size_t i = 0; i < argv->n; i++) {
        const char *a = argv->v[i];
        bool value = i > 0 && strcmp(argv->v[i - 1], "-e") == 0;
        act_buf_printf(&line, "%s%.*s%s", i ? " " : "",
                       (int)(value && strchr(a, '=') ? strchr(a, '=') - a : (long)strlen(a)), a,
                       value ? "=..." : "");
    }
    printf("Running %s\n", line.data);
    fflush(stdout);
    act_buf_free(&line);
}

static pid_t start(void *ctx, const wire_task_info *task, char *err, size_t n)
{
    dexec *d = ctx;
    if (!task->command || !task->container) {
        snprintf(err, n, "Task %s has no %s: a Docker task needs both a ContainerInfo and a "
                 "CommandInfo", task->task_id.value, task->command ? "ContainerInfo"
                                                                   : "CommandInfo");
        return -EINVAL;
    }
    docker_args env = {0}, argv = {0};
    container_env(d, &env);
    docker_args_push(&argv, d->f.docker);
    pthread_mutex_lock(&d->mu);
    docker_run_spec spec = {.container = task->container, .command = task->command,
                            .name = d->f.container, .sandbox = d->f.sandbox_directory,
                            .mapped = d->f.mapped_directory, .resources = &d->resources,
                            .env = env.v, .work_dir = d->f.work_dir};
    int rc = docker_run_args(&spec, &argv, err, n);
    pthread_mutex_unlock(&d->mu);
    char path[4096], *home = NULL;
    if (rc == 0 && !docker_resolve(d->f.docker, path, sizeof path)) {
        snprintf(err, n, "Cannot find the docker client '%s'", d->f.docker);
        rc = -ENOENT;
    }
    pid_t pid = rc;
    if (rc == 0) {
        print_command(&argv);
        char **envp = docker_client_env(d->f.sandbox_directory, &home);
        pid = fork();
        if (pid == 0) child_exec(path, argv.v, envp);
        if (pid > 0) setpgid(pid, pid); /* as the child does: either may run first */
        if (pid < 0) snprintf(err, n, "Failed to fork the docker client: %s", strerror(errno));
        if (pid < 0) pid = -errno;
        free(envp);
        free(home);
    }
    docker_args_free(&env);
    docker_args_free(&argv);
    return pid;
}

/* ---- running, stopping, ending ----------------------------------------------------------- */

/* True once the child has ended (its status stays for the reaper's waitpid). */
static bool child_ended(pid_t child)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
           si.si_pid == child;
}

/* Polls `docker inspect` until the container has started; TASK_RUNNING then (Mesos sends it
 * after inspect). A container that exists but never started (docker run created it and then
 * failed, say, to bind a mapped port) did not run: the client ends and the task fails without
 * a TASK_RUNNING. */
static bool await_running(void *ctx, pid_t child)
{
    dexec *d = ctx;
    for (;;) {
        bool ended = child_ended(child);
        docker_container c;
        char err[512];
        if (docker_inspect(d->f.docker, d->f.container, &c, err, sizeof err) == 0 && c.started)
            return true;
        if (ended) return false;
        struct timespec ts = {0, INSPECT_EVERY_NS};
        nanosleep(&ts, NULL);
    }
}

typedef struct stopping {
    dexec *d;
    pid_t client;
} stopping;

/* `docker stop` blocks up to the stop timeout: on a thread of its own. When it fails (the
 * container is not there yet) the client is killed instead, and the containerizer removes
 * whatever it may still have started. */
static void *stop_thread(void *arg)
{
    stopping *s = arg;
    char err[2048];
    if (docker_stop(s->d->f.docker, s->d->f.container, s->d->f.stop_timeout, err,
                    sizeof err) != 0) {
        fprintf(stderr, "%s; killing the docker client\n", err);
        cmd_signal(s->client, SIGKILL);
    }
    free(s);
    return NULL;
}

static void kill_task(void *ctx, pid_t child)
{
    dexec *d = ctx;
    char dur[64];
    printf("Stopping container %s (docker stop -t %s)\n", d->f.container,
           act_duration_format(d->f.stop_timeout, dur, sizeof dur));
    stopping *s = act_calloc(1, sizeof *s);
    s->d = d;
    s->client = child;
    pthread_t t;
    if (pthread_create(&t, NULL, stop_thread, s) != 0) {
        free(s);
        cmd_signal(child, SIGKILL);
        return;
    }
    pthread_detach(t);
}

/* `docker run` exits with the container's status; 125 to 127 are its own failures. */
static wire_task_state ended(void *ctx, int status, bool killed, char *msg, size_t n)
{
    int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (killed) {
        snprintf(msg, n, "Container killed");
        return WIRE_TASK_KILLED;
    }
    if (code < 0)
        snprintf(msg, n, "Docker client ended without an exit status (wait status %d)", status);
    else if (code >= 125 && code <= 127)
        snprintf(msg, n, "Container exited with status %d: docker run failed (see stderr)", code);
    else
        snprintf(msg, n, "Container exited with status %d", code);
    return code == 0 ? WIRE_TASK_FINISHED : WIRE_TASK_FAILED;
}

/* ---- main -------------------------------------------------------------------------------- */

static const char *missing(const act_flags *flags)
{
    const dexec_flags *f = flags->values;
    char buf[64];
    if (!f->docker) return "docker";
    if (!f->container) return "container";
    if (!f->sandbox_directory) return "sandbox_directory";
    if (!f->mapped_directory) return "mapped_directory";
    if (!act_flags_format(flags, "stop_timeout", buf, sizeof buf)) return "stop_timeout";
    return NULL;
}

int main(int argc, char **argv)
{
    static dexec d;
    pthread_mutex_init(&d.mu, NULL);
    act_flags flags = {"mesos-docker-executor", NULL, "mesos " WIRE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &d.f, NULL};
    char err[512];
    int rc = act_flags_load(&flags, argc, argv, NULL, NULL, err, sizeof err);
    const char *absent = rc == 0 ? missing(&flags) : NULL;
    if (absent) snprintf(err, sizeof err, "Missing required option --%s", absent), rc = -EINVAL;
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-docker-executor --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    static cmd_ops ops = {.kind = "docker", .actor = "docker-executor",
                          .registered = registered, .start = start,
                          .await_running = await_running, .kill = kill_task, .ended = ended};
    ops.ctx = &d;
    int status = cmd_main(&ops);
    res_free(&d.resources);
    act_flags_free(&flags);
    return status;
}
