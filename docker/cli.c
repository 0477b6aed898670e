/*
 * cli.c - running the docker client (docker.h): one child process per command, in a process
 * group of its own, its output read through pipes (and copied to the sandbox when asked) while
 * the caller's cancellation and time bound are watched; then the commands Mesos 0.22 runs
 * (version, inspect, pull, stop, update, rm, ps) with its failure messages. Everything here
 * blocks.
 */
#include "docker/docker.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CAPTURE_MAX (1u << 20)   /* bytes of each stream kept */
#define CHECK_EVERY_MS 100       /* how often cancellation and the time bound are checked */
#define VERSION_TIMEOUT 15.0

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* ---- argument vectors -------------------------------------------------------------------- */

void docker_args_push(docker_args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = act_realloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = act_strdup(s);
    a->v[a->n] = NULL;
}

void docker_args_pushf(docker_args *a, const char *fmt, ...)
{
    act_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    act_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    docker_args_push(a, b.data ? b.data : "");
    act_buf_free(&b);
}

void docker_args_free(docker_args *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

char *docker_args_join(const docker_args *a, size_t from)
{
    act_buf b = {0};
    for (size_t i = from; i < a->n; i++) act_buf_printf(&b, "%s%s", i > from ? " " : "", a->v[i]);
    return b.data ? act_buf_detach(&b, NULL) : act_strdup("");
}

/* ---- the child --------------------------------------------------------------------------- */

docker_io docker_io_none(void)
{
    return (docker_io){.out_fd = -1, .err_fd = -1};
}

char *docker_resolve(const char *docker, char *buf, size_t n)
{
    if (strchr(docker, '/')) {
        snprintf(buf, n, "%s", docker);
        return buf;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(buf, n, "%.*s/%s", (int)len, len ? p : ".", docker);
        if (access(buf, X_OK) == 0) return buf;
        p += len;
        if (*p == ':') p++;
    }
    return NULL;
}

char **docker_client_env(const char *home, char **home_entry)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = act_calloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!home || strncmp(environ[i], "HOME=", 5) != 0) env[k++] = environ[i];
    *home_entry = NULL;
    if (home) {
        size_t len = strlen(home) + 6;
        *home_entry = act_malloc(len);
        snprintf(*home_entry, len, "HOME=%s", home);
        env[k++] = *home_entry;
    }
    return env;
}

/* After fork: only system calls. */
static void child_exec(const char *path, char **argv, char **envp, int out, int err)
{
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    execve(path, argv, envp);
    _exit(127);
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Why the client must be killed now, or 0. */
static int must_stop(const docker_io *io, double deadline)
{
    if (io->cancel && atomic_load(io->cancel)) return -ECANCELED;
    if (io->timeout > 0 && now_mono() >= deadline) return -ETIMEDOUT;
    return 0;
}

static void keep(act_buf *b, const char *data, size_t n)
{
    if (!b || b->len >= CAPTURE_MAX) return;
    act_buf_append(b, data, n < CAPTURE_MAX - b->len ? n : CAPTURE_MAX - b->len);
}

static void copy_to(int fd, const char *data, size_t n)
{
    while (fd >= 0 && n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        data += w, n -= (size_t)w;
    }
}

/* Reads one chunk of fds[i] into its buffer and copy; closes it at EOF (fd = -1). */
static void drain(struct pollfd *p, act_buf *keep_in, int copy_fd)
{
    char chunk[8192];
    ssize_t r = read(p->fd, chunk, sizeof chunk);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r <= 0) {
        close(p->fd);
        p->fd = -1;
        return;
    }
    keep(keep_in, chunk, (size_t)r);
    copy_to(copy_fd, chunk, (size_t)r);
}

/* Reads both pipes until EOF and waits for pid, killing its group when io says so. Returns the
 * wait status or the reason it was killed. */
static int supervise(pid_t pid, int out_r, int err_r, const docker_io *io, act_buf *out,
                     act_buf *err)
{
    double deadline = now_mono() + io->timeout;
    struct pollfd fds[2] = {{.fd = out_r, .events = POLLIN}, {.fd = err_r, .events = POLLIN}};
    int killed = 0, status = -1;
    for (;;) {
        if (!killed && (killed = must_stop(io, deadline)) != 0 && kill(-pid, SIGKILL) != 0)
            kill(pid, SIGKILL);
        if (fds[0].fd < 0 && fds[1].fd < 0) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) break;
            poll(NULL, 0, CHECK_EVERY_MS);
            continue;
        }
        if (poll(fds, 2, CHECK_EVERY_MS) <= 0) continue;
        if (fds[0].fd >= 0 && fds[0].revents) drain(&fds[0], out, io->out_fd);
        if (fds[1].fd >= 0 && fds[1].revents) drain(&fds[1], err, io->err_fd);
    }
    return killed ? killed : status;
}

int docker_cmd(const char *docker, const docker_args *args, const docker_io *io, act_buf *out,
               act_buf *err)
{
    docker_io none = docker_io_none();
    if (!io) io = &none;
    char path[PATH_MAX];
    if (!docker_resolve(docker, path, sizeof path)) return -ENOENT;
    docker_args argv = {0};
    docker_args_push(&argv, docker);
    for (size_t i = 0; i < args->n; i++) docker_args_push(&argv, args->v[i]);
    char *home = NULL;
    char **envp = docker_client_env(io->home, &home);
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    int rc = pipe2(po, O_CLOEXEC) == 0 && pipe2(pe, O_CLOEXEC) == 0 ? 0 : -errno;
    pid_t pid = rc == 0 ? fork() : -1;
    if (pid == 0) child_exec(path, argv.v, envp, po[1], pe[1]);
    if (rc == 0 && pid < 0) rc = -errno;
    if (pid > 0) setpgid(pid, pid); /* as the child does: either may run first */
    if (po[1] >= 0) close(po[1]);
    if (pe[1] >= 0) close(pe[1]);
    if (rc == 0) rc = supervise(pid, po[0], pe[0], io, out, err);
    else {
        if (po[0] >= 0) close(po[0]);
        if (pe[0] >= 0) close(pe[0]);
    }
    free(home);
    free(envp);
    docker_args_free(&argv);
    return rc;
}

/* ---- failures ---------------------------------------------------------------------------- */

/* Mesos' WSTRINGIFY. */
static void describe_status(int status, char *buf, size_t n)
{
    if (status == -ECANCELED) snprintf(buf, n, "killed: cancelled");
    else if (status == -ETIMEDOUT) snprintf(buf, n, "killed: it took too long");
    else if (status < 0) snprintf(buf, n, "could not run: %s", strerror(-status));
    else if (WIFEXITED(status)) snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else snprintf(buf, n, "terminated with signal %s", strsignal(WTERMSIG(status)));
}

void docker_failure(char *buf, size_t n, const char *docker, const docker_args *args,
                    int status, const act_buf *err)
{
    char why[128];
    describe_status(status, why, sizeof why);
    char *cmd = docker_args_join(args, 0);
    size_t len = err && err->data ? err->len : 0;
    while (len > 0 && (err->data[len - 1] == '\n' || err->data[len - 1] == '\r' ||
                       err->data[len - 1] == ' '))
        len--;
    snprintf(buf, n, "Failed to '%s %s': exit status = %s stderr = %.*s", docker, cmd, why,
             (int)len, len ? err->data : "");
    free(cmd);
}

/* Runs the command; 0 when it exited 0, else -EIO (or why it did not run) with the failure
 * message in errbuf. out may be NULL. */
static int run_checked(const char *docker, const docker_args *args, const docker_io *io,
                       act_buf *out, char *errbuf, size_t errlen)
{
    act_buf err = {0};
    int status = docker_cmd(docker, args, io, out, &err);
    int rc = status == 0 ? 0 : status < 0 ? status : -EIO;
    if (rc != 0) docker_failure(errbuf, errlen, docker, args, status, &err);
    act_buf_free(&err);
    return rc;
}

/* ---- commands ---------------------------------------------------------------------------- */

int docker_version(const char *docker, char *err, size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "version");
    docker_io io = docker_io_none();
    io.timeout = VERSION_TIMEOUT;
    int rc = run_checked(docker, &a, &io, NULL, err, errlen);
    docker_args_free(&a);
    return rc;
}

char *docker_image_tag(const char *image, char *buf, size_t n)
{
    const char *last = strrchr(image, '/');
    last = last ? last + 1 : image;
    snprintf(buf, n, "%s%s", image, strchr(last, ':') || strchr(last, '@') ? "" : ":latest");
    return buf;
}

static bool image_present(const char *docker, const char *image)
{
    docker_args a = {0};
    docker_args_push(&a, "inspect");
    docker_args_push(&a, "--type=image");
    docker_args_push(&a, image);
    int status = docker_cmd(docker, &a, NULL, NULL, NULL);
    docker_args_free(&a);
    return status == 0;
}

int docker_pull(const char *docker, const char *image, bool force, const docker_io *io,
                char *err, size_t errlen)
{
    char tagged[1024];
    docker_image_tag(image, tagged, sizeof tagged);
    if (!force && image_present(docker, tagged)) return 0;
    docker_args a = {0};
    docker_args_push(&a, "pull");
    docker_args_push(&a, tagged);
    int rc = run_checked(docker, &a, io, NULL, err, errlen);
    docker_args_free(&a);
    return rc;
}

/* ---- inspect ----------------------------------------------------------------------------- */

static uint64_t json_u64(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

int docker_container_parse(const char *json, size_t len, docker_container *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *c = json_is_array(root) && json_array_size(root) == 1 ? json_array_get(root, 0)
                                                                   : NULL;
    json_t *id = json_object_get(c, "Id"), *name = json_object_get(c, "Name");
    json_t *state = json_object_get(c, "State");
    if (!json_is_string(id) || !json_is_string(name) || !json_is_object(state)) {
        snprintf(err, errlen, "Unexpected output of docker inspect: %.200s", json);
        json_decref(root);
        return -EBADMSG;
    }
    snprintf(out->id, sizeof out->id, "%s", json_string_value(id));
    const char *n = json_string_value(name);
    snprintf(out->name, sizeof out->name, "%s", n[0] == '/' ? n + 1 : n);
    out->pid = (pid_t)json_u64(state, "Pid");
    out->running = json_is_true(json_object_get(state, "Running"));
    /* A container created but never started (docker run failed to start it) keeps Go's zero
     * time, and so does one whose start was refused. */
    const char *at = json_string_value(json_object_get(state, "StartedAt"));
    out->started = out->running || (at && at[0] && strncmp(at, "0001-01-01", 10) != 0);
    json_t *code = json_object_get(state, "ExitCode");
    out->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : 0;
    json_t *host = json_object_get(c, "HostConfig");
    out->cpu_shares = json_u64(host, "CpuShares");
    out->memory = json_u64(host, "Memory");
    json_decref(root);
    return 0;
}

int docker_inspect(const char *docker, const char *name, docker_container *out, char *err,
                   size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "inspect");
    docker_args_push(&a, "--type=container");
    docker_args_push(&a, name);
    act_buf o = {0}, e = {0};
    int status = docker_cmd(docker, &a, NULL, &o, &e);
    int rc;
    if (status == 0) {
        rc = docker_container_parse(o.data ? o.data : "", o.len, out, err, errlen);
    } else {
        docker_failure(err, errlen, docker, &a, status, &e);
        rc = status < 0 ? status : e.data && strstr(e.data, "No such") ? -ENOENT : -EIO;
    }
    act_buf_free(&o);
    act_buf_free(&e);
    docker_args_free(&a);
    return rc;
}

/* ---- stop, rm, ps ------------------------------------------------------------------------ */

int docker_stop(const char *docker, const char *name, double secs, char *err, size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "stop");
    docker_args_push(&a, "-t");
    docker_args_pushf(&a, "%d", secs > 0 ? (int)secs : 0);
    docker_args_push(&a, name);
    int rc = run_checked(docker, &a, NULL, NULL, err, errlen);
    docker_args_free(&a);
    return rc;
}

int docker_update(const char *docker, const char *name, uint64_t shares, uint64_t memory,
                  char *err, size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "update");
    if (shares) docker_args_pushf(&a, "--cpu-shares=%llu", (unsigned long long)shares);
    if (memory) {
        docker_args_pushf(&a, "--memory=%llu", (unsigned long long)memory);
        docker_args_pushf(&a, "--memory-swap=%llu", (unsigned long long)memory * 2);
    }
    docker_args_push(&a, name);
    int rc = run_checked(docker, &a, NULL, NULL, err, errlen);
    docker_args_free(&a);
    return rc;
}

int docker_rm(const char *docker, const char *name, bool force, char *err, size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "rm");
    if (force) docker_args_push(&a, "-f");
    docker_args_push(&a, name);
    int rc = run_checked(docker, &a, NULL, NULL, err, errlen);
    docker_args_free(&a);
    return rc;
}

int docker_ps(const char *docker, const char *work_dir,
              void (*fn)(void *ctx, const char *id, const char *name), void *ctx, char *err,
              size_t errlen)
{
    docker_args a = {0};
    docker_args_push(&a, "ps");
    docker_args_push(&a, "-a");
    docker_args_push(&a, "--no-trunc");
    docker_args_pushf(&a, "--filter=name=%s", DOCKER_NAME_PREFIX);
    docker_args_pushf(&a, "--filter=label=%s=%s", DOCKER_LABEL_WORK_DIR, work_dir);
    docker_args_push(&a, "--format={{.ID}} {{.Names}}");
    act_buf out = {0};
    int rc = run_checked(docker, &a, NULL, &out, err, errlen);
    int count = 0;
    for (char *line = out.data, *next; rc == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *space = strchr(line, ' ');
        if (!space) continue;
        *space = '\0';
        /* the name filter matches anywhere in the name: keep only the prefix */
        if (strncmp(space + 1, DOCKER_NAME_PREFIX, strlen(DOCKER_NAME_PREFIX)) != 0) continue;
        fn(ctx, line, space + 1);
        count++;
        if (!next) break;
    }
    act_buf_free(&out);
    docker_args_free(&a);
    return rc == 0 ? count : rc;
}
