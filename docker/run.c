/*
 * run.c - the arguments of `docker run` for a ContainerInfo and a CommandInfo, as Mesos 0.22's
 * Docker::run makes them: cpu shares and memory limit from the resources, the environment, the
 * volumes and the sandbox mounted at the mapped directory, the network, parameters passed
 * through as --key=value, BRIDGE port mappings checked against the resources' ports, and the
 * command (through /bin/sh -c when CommandInfo.shell). Pure: nothing runs here.
 */
#include "docker/docker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

uint64_t docker_cpu_shares(const res_set *r)
{
    int64_t milli = r ? res_scalar_milli(r, "cpus") : 0;
    if (milli <= 0) return 0;
    uint64_t shares = (uint64_t)milli * DOCKER_CPU_SHARES_PER_CPU / RES_SCALE;
    return shares < DOCKER_MIN_CPU_SHARES ? DOCKER_MIN_CPU_SHARES : shares;
}

uint64_t docker_memory_limit(const res_set *r)
{
    int64_t milli = r ? res_scalar_milli(r, "mem") : 0;
    if (milli <= 0) return 0;
    uint64_t bytes = (uint64_t)milli * 1024 * 1024 / RES_SCALE;
    return bytes < DOCKER_MIN_MEMORY ? DOCKER_MIN_MEMORY : bytes;
}

/* Sets "KEY=VALUE" in env, replacing an earlier value of KEY in place. */
static void env_set(docker_args *env, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) + 1 : strlen(kv);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], kv, klen) != 0) continue;
        free(env->v[i]);
        env->v[i] = act_strdup(kv);
        return;
    }
    docker_args_push(env, kv);
}

/* The container's environment: the given entries, CommandInfo.environment, MESOS_SANDBOX. */
static void environment(const docker_run_spec *s, docker_args *out)
{
    docker_args env = {0};
    for (char *const *e = s->env; e && *e; e++) env_set(&env, *e);
    const wire_environment *ce = s->command->environment;
    for (size_t i = 0; ce && i < ce->variables_count; i++) {
        act_buf b = {0};
        act_buf_printf(&b, "%s=%s", ce->variables[i].name ? ce->variables[i].name : "",
                       ce->variables[i].value ? ce->variables[i].value : "");
        env_set(&env, b.data);
        act_buf_free(&b);
    }
    act_buf b = {0};
    act_buf_printf(&b, "MESOS_SANDBOX=%s", s->mapped);
    env_set(&env, b.data);
    act_buf_free(&b);
    for (size_t i = 0; i < env.n; i++) {
        docker_args_push(out, "-e");
        docker_args_push(out, env.v[i]);
    }
    docker_args_free(&env);
}

static int volumes(const docker_run_spec *s, docker_args *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->container->volumes_count; i++) {
        const wire_volume *v = &s->container->volumes[i];
        if (!v->has_host_path || !v->host_path[0]) {
            /* Mesos 0.22: a mode needs a host path (the mode is required in our schema) */
            snprintf(err, errlen, "Host path is required with mode");
            return -EINVAL;
        }
        docker_args_push(out, "-v");
        docker_args_pushf(out, "%s:%s:%s", v->host_path, v->container_path,
                          v->mode == WIRE_VOLUME_RO ? "ro" : "rw");
    }
    docker_args_push(out, "-v");
    docker_args_pushf(out, "%s:%s", s->sandbox, s->mapped);
    return 0;
}

static bool port_offered(const res_set *r, uint64_t port)
{
    res_range *ranges = NULL;
    size_t n = 0;
    if (r) res_ranges(r, "ports", &ranges, &n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = port >= ranges[i].begin && port <= ranges[i].end;
    free(ranges);
    return found;
}

static int ports(const docker_run_spec *s, bool bridge, docker_args *out, char *err,
                 size_t errlen)
{
    const wire_docker_info *d = s->container->docker;
    if (d->port_mappings_count == 0) return 0;
    if (!bridge) {
        snprintf(err, errlen, "Port mappings are only supported for bridge network");
        return -EINVAL;
    }
    for (size_t i = 0; i < d->port_mappings_count; i++) {
        const wire_port_mapping *m = &d->port_mappings[i];
        if (!port_offered(s->resources, m->host_port)) {
            snprintf(err, errlen, "Port [%u] not included in resources", (unsigned)m->host_port);
            return -EINVAL;
        }
        char proto[16] = "";
        if (m->has_protocol && m->protocol[0]) {
            snprintf(proto, sizeof proto, "/%.10s", m->protocol);
            for (char *p = proto; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        }
        docker_args_push(out, "-p");
        docker_args_pushf(out, "%u:%u%s", (unsigned)m->host_port, (unsigned)m->container_port,
                          proto);
    }
    return 0;
}

static const char *network_name(wire_docker_network n)
{
    switch (n) {
    case WIRE_DOCKER_HOST: return "host";
    case WIRE_DOCKER_BRIDGE: return "bridge";
    case WIRE_DOCKER_NONE: return "none";
    }
    return NULL;
}

/* --net, --hostname, the parameters and the ports. */
static int network(const docker_run_spec *s, docker_args *out, char *err, size_t errlen)
{
    const wire_docker_info *d = s->container->docker;
    const char *net = network_name(d->network);
    if (!net) {
        snprintf(err, errlen, "Unsupported Network mode: %d", (int)d->network);
        return -EINVAL;
    }
    docker_args_push(out, "--net");
    docker_args_push(out, net);
    if (s->container->has_hostname && s->container->hostname[0]) {
        if (d->network == WIRE_DOCKER_HOST) {
            snprintf(err, errlen, "Unable to set hostname with host network mode");
            return -EINVAL;
        }
        docker_args_push(out, "--hostname");
        docker_args_push(out, s->container->hostname);
    }
    for (size_t i = 0; i < d->parameters_count; i++)
        docker_args_pushf(out, "--%s=%s", d->parameters[i].key, d->parameters[i].value);
    return ports(s, d->network == WIRE_DOCKER_BRIDGE, out, err, errlen);
}

/* The image and what it runs: /bin/sh -c value (the entrypoint overridden) when shell, else
 * value and the arguments. */
static int command(const docker_run_spec *s, docker_args *out, char *err, size_t errlen)
{
    const wire_command_info *c = s->command;
    bool has_value = c->has_value && c->value[0];
    if (c->shell && !has_value) {
        snprintf(err, errlen, "Shell specified but no command value provided");
        return -EINVAL;
    }
    if (c->shell) {
        docker_args_push(out, "--entrypoint");
        docker_args_push(out, "/bin/sh");
    }
    docker_args_push(out, "--name");
    docker_args_push(out, s->name);
    if (s->work_dir) {
        docker_args_push(out, "--label");
        docker_args_pushf(out, "%s=%s", DOCKER_LABEL_WORK_DIR, s->work_dir);
    }
    docker_args_push(out, s->container->docker->image);
    if (c->shell) {
        docker_args_push(out, "-c");
        docker_args_push(out, c->value);
        return 0;
    }
    if (has_value) docker_args_push(out, c->value);
    for (size_t i = 0; i < c->arguments_count; i++)
        docker_args_push(out, c->arguments[i] ? c->arguments[i] : "");
    return 0;
}

int docker_run_args(const docker_run_spec *s, docker_args *out, char *err, size_t errlen)
{
    if (!s->container || s->container->type != WIRE_CONTAINER_DOCKER || !s->container->docker) {
        snprintf(err, errlen, "No docker info found in container info");
        return -EINVAL;
    }
    docker_args a = {0};
    docker_args_push(&a, "run");
    if (s->container->docker->privileged) docker_args_push(&a, "--privileged");
    uint64_t shares = docker_cpu_shares(s->resources), mem = docker_memory_limit(s->resources);
    if (shares) {
        docker_args_push(&a, "-c");
        docker_args_pushf(&a, "%llu", (unsigned long long)shares);
    }
    if (mem) {
        docker_args_push(&a, "-m");
        docker_args_pushf(&a, "%llu", (unsigned long long)mem);
    }
    environment(s, &a);
    int rc = volumes(s, &a, err, errlen);
    if (rc == 0) rc = network(s, &a, err, errlen);
    if (rc == 0) rc = command(s, &a, err, errlen);
    for (size_t i = 0; rc == 0 && i < a.n; i++) docker_args_push(out, a.v[i]);
    docker_args_free(&a);
    return rc;
}
