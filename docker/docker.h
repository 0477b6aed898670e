/*
 * docker.h - the docker command-line client, driven as Mesos 0.22 drives it (its
 * src/docker/docker.cpp): the commands (version, pull, run, stop, update, rm, inspect, ps),
 * their failure messages ("Failed to 'docker pull busybox:latest': exit status = exited with
 * status 1 stderr = ..."), the `docker run` arguments made from a ContainerInfo and a
 * CommandInfo, and what `docker inspect` tells of a container. The Docker containerizer
 * (slave/docker*.c) and mesos-docker-executor (exec/docker_executor_main.c) are its users.
 *
 * Every function that runs the client blocks until the client exits: call them on a thread of
 * their own, never on an actor's loop. The client reaches whatever daemon its environment names
 * (DOCKER_HOST, as the docker command itself reads it).
 */
#ifndef DOCKER_DOCKER_H
#define DOCKER_DOCKER_H

#include "actor/actor.h"
#include "wire/wire.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* Every container the slave starts is named DOCKER_NAME_PREFIX<container id>, so a restarted
 * slave finds it again by name; the label says which slave (its work_dir) started it. */
#define DOCKER_NAME_PREFIX "mesos-"
#define DOCKER_LABEL_WORK_DIR "org.mesos.slave.work_dir"

/* Mesos' cgroups constants, which `docker run -c` and `-m` follow. */
#define DOCKER_CPU_SHARES_PER_CPU 1024
#define DOCKER_MIN_CPU_SHARES 10
#define DOCKER_MIN_MEMORY (32ull * 1024 * 1024)

/* ---- argument vectors -------------------------------------------------------------------- */

/* A growing, NULL-terminated vector of malloc'd strings (argv, "KEY=VALUE" lists). */
typedef struct docker_args {
    char **v;
    size_t n, cap;
} docker_args;

void docker_args_push(docker_args *a, const char *s);   /* appends a copy */
void docker_args_pushf(docker_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void docker_args_free(docker_args *a);
/* "arg1 arg2 ..." as Mesos logs a command; free() it. */
char *docker_args_join(const docker_args *a, size_t from);

/* ---- running the client ------------------------------------------------------------------ */

/* How one run of the client is done. Zero it for: output only captured, HOME inherited, no
 * cancellation, no time bound. */
typedef struct docker_io {
    int out_fd, err_fd;        /* also copy the client's stdout / stderr here (the sandbox's
                                  files); set to -1 for none (0 means stdin: never wanted) */
    const char *home;          /* HOME for the client (a sandbox holding .dockercfg), or NULL */
    const atomic_bool *cancel; /* checked every 100 ms: once true the client is killed */
    double timeout;            /* the client is killed after this many seconds; 0: no bound */
} docker_io;

/* A docker_io that copies nothing (out_fd = err_fd = -1). */
docker_io docker_io_none(void);

/* Runs `<docker> args...` (docker: the client's path, or a name found on PATH) in a process
 * group of its own with stdin from /dev/null, and waits for it. What it prints goes into out
 * and err (each may be NULL; at most 1 MB of each is kept) and to io's descriptors. Returns its
 * wait status (>= 0); -ECANCELED or -ETIMEDOUT when it was killed for io's reasons; -errno when
 * it could not be started. */
int docker_cmd(const char *docker, const docker_args *args, const docker_io *io, act_buf *out,
               act_buf *err);

/* Mesos' message for a failed command: "Failed to '<docker> <args>': exit status = exited with
 * status 1 stderr = <err, trimmed>" (or the reason it did not run, for status < 0). */
void docker_failure(char *buf, size_t n, const char *docker, const docker_args *args,
                    int status, const act_buf *err);

/* The path that `docker` names: itself when it holds a '/', else the first executable
 * <dir>/docker on PATH. Returns buf, or NULL when there is none. */
char *docker_resolve(const char *docker, char *buf, size_t n);

/* The docker client's environment: environ, with HOME=<home> in place of HOME when home is
 * given (where a fetched .dockercfg is). The strings are environ's but *home_entry, which the
 * caller frees with the array (free both; *home_entry is NULL without home). */
char **docker_client_env(const char *home, char **home_entry);

/* ---- commands ---------------------------------------------------------------------------- */

/* `docker version`: the client runs and reaches its daemon (bounded by 15 s). Returns 0, or
 * -errno with the reason in err. */
int docker_version(const char *docker, char *err, size_t errlen);

/* The image with ":latest" added when it names no tag (Mesos pulls a tag, never a whole
 * repository). Returns buf. */
char *docker_image_tag(const char *image, char *buf, size_t n);

/* Makes the image present: `docker inspect --type=image` it, and `docker pull` it when it is
 * missing or `force`. The pull runs with io (its output copied to the sandbox, HOME the sandbox,
 * cancellable). Returns 0, or -errno with Mesos' failure message in err. */
int docker_pull(const char *docker, const char *image, bool force, const docker_io *io,
                char *err, size_t errlen);

/* What `docker inspect <container>` says. */
typedef struct docker_container {
    char id[72];
    char name[256];         /* without the leading '/' */
    pid_t pid;              /* of its first process while it runs, else 0 */
    bool started;           /* it ran (State.StartedAt is set), even if it has ended since */
    bool running;
    int exit_code;
    uint64_t cpu_shares;    /* HostConfig.CpuShares, 0 if unset */
    uint64_t memory;        /* HostConfig.Memory in bytes, 0 if unset */
} docker_container;

/* Parses `docker inspect` output (a JSON array of one container). Returns 0 or -EBADMSG. */
int docker_container_parse(const char *json, size_t len, docker_container *out, char *err,
                           size_t errlen);
/* `docker inspect <name>`. Returns 0, -ENOENT when there is no such container, or -errno;
 * err says why. */
int docker_inspect(const char *docker, const char *name, docker_container *out, char *err,
                   size_t errlen);
/* `docker stop -t <secs> <name>` (SIGTERM, SIGKILL after secs). Returns 0 or -errno (err). */
int docker_stop(const char *docker, const char *name, double secs, char *err, size_t errlen);
/* `docker update` of a running container: --cpu-shares when shares > 0, --memory (and
 * --memory-swap at twice it, as `docker run -m` sets it) when memory > 0. Returns 0 or -errno
 * (err). */
int docker_update(const char *docker, const char *name, uint64_t shares, uint64_t memory,
                  char *err, size_t errlen);
/* `docker rm [-f] <name>`. Returns 0 or -errno (err). */
int docker_rm(const char *docker, const char *name, bool force, char *err, size_t errlen);

/* Calls fn(id, name) for every container, running or not, whose name starts with
 * DOCKER_NAME_PREFIX and whose DOCKER_LABEL_WORK_DIR label is `work_dir` (`docker ps -a`).
 * Returns how many, or -errno (err). */
int docker_ps(const char *docker, const char *work_dir,
              void (*fn)(void *ctx, const char *id, const char *name), void *ctx, char *err,
              size_t errlen);

/* ---- docker run -------------------------------------------------------------------------- */

/* What `docker run` is made of (Mesos' Docker::run). */
typedef struct docker_run_spec {
    const wire_container_info *container;   /* type DOCKER, with its docker info */
    const wire_command_info *command;       /* what runs in it */
    const char *name;                       /* mesos-<container id> */
    const char *sandbox;                    /* the sandbox on the host */
    const char *mapped;                     /* where it appears inside
                                               (--docker_sandbox_directory) */
    const res_set *resources;               /* -c, -m, and the ports -p may use; NULL: none */
    char *const *env;                       /* "KEY=VALUE" for the container (NULL-terminated, may
                                               be NULL); CommandInfo.environment and
                                               MESOS_SANDBOX=<mapped> come after and win */
    const char *work_dir;                   /* the DOCKER_LABEL_WORK_DIR label, or NULL */
} docker_run_spec;

/* Appends the arguments of `docker run` (without the client's path, without -d: the client
 * stays attached and prints the container's output) to out. Returns 0, or -EINVAL with Mesos'
 * reason in err ("Port [31005] not included in resources", "Port mappings are only supported
 * for bridge network", ...), out then unchanged. */
int docker_run_args(const docker_run_spec *spec, docker_args *out, char *err, size_t errlen);

/* The cpu shares and memory limit Mesos gives a container with these resources (0 when the
 * resource is absent). */
uint64_t docker_cpu_shares(const res_set *resources);
uint64_t docker_memory_limit(const res_set *resources);

#endif /* DOCKER_DOCKER_H */
